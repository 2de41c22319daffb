"""The parser's shortcuts give what the plain computations give.

Several regexes run only when the text holds what they need, some lexicon lookups try only the
lengths that can count, and pure per-token analyses are remembered per lexicon. Each shortcut is
checked here against the plain formulation, on every line of the test records and on strings
made from the words and characters the patterns care about (case-folding letters such as ı İ ſ K
included).
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from irgraph import attendees as A
from irgraph import parse as P
from irgraph.lexicon import _cut_pairs, load_lexicon, nkey
from irgraph.models import Document
from irgraph.parse import parse_document
from irgraph.read import read_path

DATA = Path(__file__).parent / "data"
LEX = load_lexicon()
SETTINGS = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _lines() -> list[str]:
    out: set[str] = set()
    for path in sorted(DATA.rglob("*.txt"))[:120]:
        for line in path.read_text(encoding="utf-8", errors="replace").split("\n"):
            out.add(line)
            out.update(line.split())
    return sorted(out)


LINES = _lines()
FRAGMENTS = ["等", "及其他", "以及其他", "3", "12", "12家", "3位", "20名", "家", "位", "名", "人", "机构", "投资者",
             "（", "）", "(", ")", "排名", "排序",
             "不分先后", "前后", "RECORD", "Record", "investorrelationsactivityrecord", "INVESTORRELATIONSACTIVITYRECORD",
             "投资者关系活动记录表", "活动记录", "调研", "来访", "交流", "参会", "电话会议", "活动", "ı", "İ", "ſ", "K", " ", "\t",
             "\n", "\u3000\u3000", "先生", "女士", "老师", "总", "王", "欧阳", "·", "-", "—", "–", "－", "/", "／",
             "证券", "基金", "张三", "王五", "和", "及", "与", "中欧基金",
             "https://x.cn", "（3人）", "【中金公司】", "《证券时报》", "巨潮资讯", "cninfo.com", "CNINFO.COM", "www.", "序号",
             "单位", "姓名", "名称", "人员", "|", "有限公司", "资产管理", "管理", "个人投资者", "个", ":", "：", "、", "，", ",", "。",
             ".", "先生", "其他", "部分", "a", "Z"]
TEXT = st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join)


def _only_endings_plain(k: str) -> bool:
    ok = [True] + [False] * len(k)
    for i in range(len(k)):
        if ok[i]:
            for j in range(i + 2, min(len(k), i + 12) + 1):
                if k[i:j] in LEX.inst_suffix_set and not (i == 0 and k[i:j] in LEX.name_starts):
                    ok[j] = True
    return ok[len(k)]


def _has_content_plain(key: str) -> bool:
    stripped = A._NOT_CONTENT.sub("", key)
    return len(stripped) >= 2 or (len(stripped) == 1 and bool(A._CJK.match(stripped)) and stripped not in "等及和与")


def _ends_with_suffix_plain(key: str, strong: bool, proper: bool) -> bool:
    size = len(key)
    return any((size > n or (not proper and size == n)) and key[-n:] in vs
               for n, vs in LEX._ends_index("strong" if strong else "inst"))


CUT_PAIRS = {weak: _cut_pairs(LEX.inst_suffixes, keep_weak=weak) for weak in (False, True)}


def _cut_suffix_plain(tail: str, head: str, weak: bool) -> bool:
    return any(tail.endswith(a) and head.startswith(bs) for a, bs in CUT_PAIRS[weak])


def _is_header_plain(key: str) -> bool:
    k = key.replace("|", "").replace("/", "")
    return bool(A._HEADER.match(k)) and any(w in k for w in ("姓名", "单位", "机构", "名称", "人员"))


def _person_like_plain(k: str) -> bool:
    lex = LEX
    if A._SURNAME_HONORIFIC.fullmatch(k) and (k[0] in lex.surnames or k[:2] in lex.compound_surnames):
        return True
    if "·" in k and 3 <= len(k) <= 12 and A._CJK_OR_DOT.fullmatch(k) and not lex.not_person_inside(k):
        return True
    k = A._HONORIFIC.sub("", k) if len(k) > 3 else k
    if not (2 <= len(k) <= 4) or not A._CJK_OR_DOT.fullmatch(k):
        return False
    if k in lex.not_person or k in lex.places or k in lex.known_names or k in lex.titles:
        return False
    if lex.not_person_inside(k):
        return False
    if len(k) == 4:
        return k[:2] in lex.compound_surnames
    return k[0] in lex.surnames or k[:2] in lex.compound_surnames


def _rewrite_plain(text: str) -> str:
    t = A._OPEN_NOTE_END.sub("", A._LIST_NOTE.sub(" ", text))
    t = A._swap_person_first(t, LEX)
    t = A._INST_SLASH_PERSON.sub(lambda m: A._inst_slash(m, LEX), t)
    for pattern, repl, _ in A._TOKEN_REWRITES_BEFORE:
        t = pattern.sub(repl, t)
    t = A._BRACKETED.sub(lambda m: A._paren(m, LEX), t)
    for pattern, repl, _ in A._TOKEN_REWRITES_AFTER:
        t = pattern.sub(repl, t)
    return t


def _same_as_plain(s: str) -> None:
    k = nkey(s)
    assert A._strip_etc(s) == A._ETC_TAIL.sub("", s)
    assert A._strip_list_note(s, " ") == A._LIST_NOTE.sub(" ", s)
    for x in (s, k):
        got, want = P._title_search(x), P._TITLE.search(x)
        assert (got and got.span()) == (want and want.span())
    assert A._has_content(k) == _has_content_plain(k)
    assert A._only_endings(k, LEX) == _only_endings_plain(k)
    for strong in (False, True):
        for proper in (False, True):
            assert LEX.ends_with_suffix(k, strong=strong, proper=proper) == _ends_with_suffix_plain(k, strong, proper)
    for cut in range(0, min(len(k), 24) + 1, 3):
        tail, head = k[:cut][-6:], k[cut:][:8]
        for weak in (False, True):
            assert LEX.cut_suffix(tail, head, weak=weak) == _cut_suffix_plain(tail, head, weak)
    assert A.is_header_key(k) == P.is_header_key(k) == _is_header_plain(k)
    assert A._rewrite_line(s, LEX) == _rewrite_plain(s)
    assert A._and_split(s) == [p for p in A._AND_SPLIT.split(s) if p]
    for x in (k, k[:2], k[-3:], k[:4] + "先生", k[:1] + "·" + k[1:6], "王" + k[:5]):
        assert A._person_like(x, LEX) == _person_like_plain(x)


def test_shortcuts_equal_plain_computations_on_record_lines() -> None:
    for s in LINES:
        _same_as_plain(s)


@SETTINGS
@given(TEXT)
def test_shortcuts_equal_plain_computations_on_odd_text(s: str) -> None:
    _same_as_plain(s)


def test_header_shortcut_sets_cover_every_header_word() -> None:
    words = re.findall(r"[^|()?:^$]+", A._HEADER_WORD_ONLY.pattern)
    assert words and all(set(w) <= A.HEADER_CHARS and w[0] in A.HEADER_FIRST for w in words)


def test_remembered_analyses_do_not_depend_on_what_was_parsed_before() -> None:
    paths = sorted(DATA.rglob("*.txt"))[:60]
    docs = [read_path(p) for p in paths]
    first = [parse_document(d) for d in docs]
    again = [parse_document(d) for d in reversed(docs)][::-1]
    fresh = load_lexicon.__wrapped__()  # a new lexicon: empty memos
    alone = [parse_document(d, lexicon=fresh) for d in docs]
    assert first == again == alone
    assert parse_document(Document("x", text="")) == parse_document(Document("x", text=""))
