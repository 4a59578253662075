"""Traditional Chinese (Taiwan, Hong Kong) is understood as its Simplified form."""

from __future__ import annotations

import pytest

from nlu import EmbeddedEngine, parse_yaml
from nlu.script import is_traditional, spellings, to_simplified


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("印表機無法列印", "打印机无法打印"),
        ("我的滑鼠壞了", "我的鼠标坏了"),
        ("忘記密碼了，帳號被鎖", "忘记密码了，账号被锁"),
        ("Outlook收不到郵件", "Outlook收不到邮件"),
        ("VPN連不上", "VPN连不上"),
        ("我要找真人客服", "我要找真人客服"),
        ("謝謝你", "谢谢你"),
        ("INC-3處理得怎麼樣了", "INC-3处理得怎么样了"),
        ("軟體無法安裝", "软件无法安装"),
        ("這個問題解決了", "这个问题解决了"),
        ("很緊急，整個部門都不能工作", "很紧急，整个部门都不能工作"),
        ("給5顆星", "给5颗星"),
    ],
)
def test_traditional_reads_as_simplified(
    desk_engine: EmbeddedEngine, traditional: str, simplified: str
) -> None:
    said, meant = desk_engine.parse(traditional), desk_engine.parse(simplified)
    assert said.text == traditional and said.language == "zh"
    assert said.intent.name == meant.intent.name
    assert abs(said.intent.confidence - meant.intent.confidence) < 0.02
    assert [(e.entity, e.value) for e in said.entities] == [(e.entity, e.value) for e in meant.entities]
    for entity in said.entities:  # offsets and surfaces are those of the message as written
        assert traditional[entity.start : entity.end] == entity.text


def test_offsets_survive_words_that_change_length(desk_engine: EmbeddedEngine) -> None:
    text = "隨身碟讀不到，印表機也卡紙"  # 隨身碟 is U盘 in mainland words: three characters become two
    assert to_simplified(text).startswith("U盘读不到")
    [printer] = [e for e in desk_engine.parse(text).entities if e.value == "printer"]
    assert (printer.start, printer.end, printer.text) == (7, 10, "印表機")


def test_simplified_text_is_left_as_it_is() -> None:
    # Taiwan's phrase table reads the mainland's 文件 (a file) as 文档 (a document); it is used only
    # on text that has a Traditional character.
    for text in ("共享盘的文件误删了", "在么", "序列号是5CD1234XYZ", "my laptop is slow", ""):
        assert not is_traditional(text)
        assert to_simplified(text) == text
    assert is_traditional("檔案") and to_simplified("檔案打不開") == "文件打不开"


def test_spellings_cover_both_scripts_and_taiwan_words() -> None:
    assert spellings("打印机") == {"打印机", "打印機", "印表機"}
    assert {"內存", "記憶體"} <= spellings("内存")
    assert spellings("印表機") >= {"打印机", "印表機"}
    assert spellings("vpn") == {"vpn"}


def test_traditional_training_data_serves_simplified_users() -> None:
    data = parse_yaml(
        """
nlu:
- intent: report_problem
  examples: |
    - [印表機](category)壞了
    - [滑鼠](category)不能用
    - [鍵盤](category)沒反應
    - 電腦開不了機
- intent: greet
  examples: |
    - 你好
    - 早安
    - 哈囉
"""
    )
    engine = EmbeddedEngine.train(data)
    parse = engine.parse("打印机坏了")
    assert parse.intent.name == "report_problem"
    assert [(e.value, e.text) for e in parse.entities] == [("印表機", "打印机")]
    assert engine.parse("键盘没反应").entity("category") == "鍵盤"


def test_taiwan_words_without_traditional_characters_are_entities(desk_engine: EmbeddedEngine) -> None:
    # 滑鼠 is written alike in both scripts, so the message is not converted; the dictionary has
    # Taiwan's word for the desk's 鼠标 all the same.
    parse = desk_engine.parse("滑鼠不能用")
    assert (parse.intent.name, parse.entity("category")) == ("report_problem", "hardware")
