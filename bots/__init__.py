"""The bot and the composition root: dialogue, and the wiring of desk, nlu and channels."""
