"""The desk's NLU training data (Rasa 3.x YAML); not a code package, kept importable for packaging."""
