"""build_graph and the projections, on the seed records (gold files) and small hand-made inputs.

Seed facts used below, counted by hand from tests/data/gold (entity = the gold `entity` column):
* 虹软科技 688088 (000_…): 84 attendee rows naming 70 distinct institutions (申万宏源证券 5 rows,
  中金公司 3, eight others twice).
* 海天瑞声 688787: record 001 (2024-09-04) names 3 institutions, record 002 (2024-11-05/07)
  15 rows naming 7 (银华基金 7 persons, 长盛基金 and 长城基金 twice, one each of 景顺长城, 惠升,
  中邮创业, 中信建投): 10 distinct, none in both records.
* 奇安信 688561 (003_…): 116 distinct institutions, check boxes unreadable (activity_types None).
* 004_… is a results deck (kind other): no node.
* Shared: 688088∩688787 = {中信建投}, 688561∩688787 = {中信建投, 北京鸿道}, 688088∩688561 = 25,
  all three = {中信建投}; so |institutions| = 70 + 10 + 116 - 1 - 2 - 25 + 1 = 169, edges 196.
"""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import networkx as nx
import pytest

from irgraph.errors import OptionError
from irgraph.graph import build_graph, project_companies, project_institutions
from irgraph.models import Attendee, Match, Record, Resolution

_spec = importlib.util.spec_from_file_location(
    "_irgraph_golden_seeds", Path(__file__).parent / "golden" / "seeds.py"
)
seeds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seeds)

CJ = "i:中信建投证券股份有限公司"
HD = "i:北京鸿道投资管理有限责任公司"


@pytest.fixture(scope="module")
def seed_graph() -> nx.Graph:
    return build_graph(seeds.seed_records(), seeds.seed_resolution())


def m(raw: str, iid: str, group: str = "", type_: str = "证券公司") -> Match:
    return Match(raw, iid, iid + "全称", group or iid, type_, "registry", 1.0)


RES = Resolution(
    matches={
        "甲证券": m("甲证券", "A", "甲集团"),
        "甲证券研究所": m("甲证券研究所", "A", "甲集团"),
        "甲基金": m("甲基金", "AF", "甲集团", "基金管理公司"),
        "乙基金": m("乙基金", "B", type_="基金管理公司"),
        "丙资产": m("丙资产", "C", type_="私募基金"),
        "个人投资者": Match("个人投资者", "", "", "", "", "generic", 0.0),
    }
)


def rec(source: str, code: str | None, date: str | None, names, types=("特定对象调研",), **kw) -> Record:
    att = tuple(
        x if isinstance(x, Attendee) else Attendee(*x) if isinstance(x, tuple) else Attendee(x)
        for x in names
    )
    return Record(
        source=source,
        stock_code=code,
        short_name=kw.pop("short_name", f"简称{code}"),
        company=kw.pop("company", f"公司{code}"),
        activity_types=types,
        dates=(date,) if date else (),
        attendees=att,
        **kw,
    )


def test_seed_nodes_and_edges(seed_graph):
    G = seed_graph
    comps = sorted(n for n, b in G.nodes(data="bipartite") if b == 1)
    assert comps == ["c:688088", "c:688561", "c:688787"]  # the results deck gives no node
    assert sum(1 for _, b in G.nodes(data="bipartite") if b == 0) == 169
    assert G.number_of_edges() == 196
    assert {c: G.degree(c) for c in comps} == {"c:688088": 70, "c:688561": 116, "c:688787": 10}
    assert G.nodes["c:688787"] == {
        "bipartite": 1,
        "label": "海天瑞声",
        "code": "688787",
        "company": "北京海天瑞声科技股份有限公司",
        "records": 2,
    }
    assert G.nodes[CJ] == {
        "bipartite": 0,
        "label": "中信建投证券股份有限公司",
        "type": "证券公司",
        "group": "中信建投证券",
        "institution_id": "中信建投证券股份有限公司",
    }
    assert set(G[CJ]) == set(comps)
    assert G.graph == {"level": "entity", "records": 4, "unresolved_rows": 0}


def test_seed_edge_attributes(seed_graph):
    G = seed_graph
    # two rows of 中信建投证券 in one 虹软科技 record: one visit, both persons
    e = G.edges[CJ, "c:688088"]
    assert e["visits"] == 1
    assert e["persons"] == ";".join(sorted(["应瑛", "李楚涵"]))
    assert e["first_date"] == e["last_date"] == e["dates"] == "2024-08-27"  # first date of the record
    assert e["activity_types"] == ";".join(sorted(["特定对象调研", "业绩说明会", "一对一沟通", "其他"]))
    assert e["sources"] == "000_370e009666ed327e.txt"
    yinhua = G.edges["i:银华基金管理股份有限公司", "c:688787"]
    assert yinhua["visits"] == 1 and len(yinhua["persons"].split(";")) == 7
    assert yinhua["dates"] == "2024-11-05" and yinhua["activity_types"] == "电话会议"
    # 长盛基金 listed twice with the same person
    assert G.edges["i:长盛基金管理有限公司", "c:688787"]["persons"] == "杨睿琦"
    # 奇安信: activity types unknown -> empty string
    assert G.edges[CJ, "c:688561"]["activity_types"] == ""
    for _, _, d in G.edges(data=True):
        assert all(isinstance(v, (str, int, float)) for v in d.values())
    for _, d in G.nodes(data=True):
        assert all(isinstance(v, (str, int, float)) for v in d.values())


def test_visits_count_distinct_records_and_dates():
    records = [
        rec("r1", "600001", "2024-03-01", ["甲证券", "甲证券研究所", ("乙基金", "张三")]),
        rec("r2", "600001", "2024-05-02", [("乙基金", "李四"), "个人投资者"], types=("分析师会议",)),
        rec("r3", "600001", "2024-04-01", [("乙基金", "张三")]),
    ]
    G = build_graph(records, RES)
    # 甲证券 and 甲证券研究所 resolve to one entity: one visit in r1
    assert G.edges["i:A", "c:600001"]["visits"] == 1
    e = G.edges["i:B", "c:600001"]
    assert e["visits"] == 3
    assert (e["first_date"], e["last_date"]) == ("2024-03-01", "2024-05-02")
    assert e["dates"] == "2024-03-01;2024-04-01;2024-05-02"
    assert e["persons"] == "张三;李四"
    assert e["sources"] == "r1;r2;r3"
    assert e["activity_types"] == "分析师会议;特定对象调研"
    assert G.number_of_nodes() == 3  # the generic row 个人投资者 makes no node
    assert G.nodes["c:600001"]["records"] == 3


def test_revisited_edges_keep_every_visits_persons_and_all_edges_one_attribute_order():
    records = [
        rec("r1", "600002", "2024-03-01", ["丙资产", ("乙基金", "张三"), ("乙基金", "李四"), "甲证券"]),
        rec("r2", "600001", "2024-03-02", [("乙基金", "李四"), "甲证券"]),
        rec("r3", "600002", "2024-02-01", [("乙基金", "王五"), ("乙基金", "张三")]),
    ]
    G = build_graph(records, RES)
    e = G.edges["i:B", "c:600002"]  # the first visit (r1) names two persons, r3 one more
    assert (e["visits"], e["dates"], e["sources"]) == (2, "2024-02-01;2024-03-01", "r1;r3")
    assert e["persons"] == "张三;李四;王五"
    keys = ("visits", "first_date", "last_date", "dates", "activity_types", "persons", "sources")
    assert {tuple(d) for _, _, d in G.edges(data=True)} == {keys}  # one-visit edges and the others
    assert list(G["c:600002"]) == ["i:A", "i:B", "i:C"]  # sorted, not in row order
    assert list(G["i:B"]) == ["c:600001", "c:600002"]


def test_skips_and_fallbacks():
    records = [
        rec("bad", "600001", "2024-03-01", ["甲证券"], error="cannot read"),
        rec("deck", "600002", "2024-03-01", ["甲证券"], kind="other"),
        rec("nocode", None, "2024-03-01", ["乙基金"], company="某某股份有限公司", short_name=None),
        rec("none", None, "2024-03-01", ["乙基金"], company=None),
        rec("generic", "600003", "2024-03-01", [Attendee("丙资产", generic=True)]),
        rec("unknown", "600004", "2024-03-01", ["谁也不知道", "丙资产"]),
    ]
    G = build_graph(records, RES)
    assert sorted(n for n, b in G.nodes(data="bipartite") if b == 1) == ["c:600004", "c:某某股份有限公司"]
    assert G.nodes["c:某某股份有限公司"]["code"] == ""
    assert G.nodes["c:某某股份有限公司"]["label"] == "某某股份有限公司"
    assert G.graph["unresolved_rows"] == 1
    assert G.graph["records"] == 2


def test_filters_dates_and_types(seed_graph):
    records, res = seeds.seed_records(), seeds.seed_resolution()
    G = build_graph(records, res, since="2024-09-01")
    assert {n for n, b in G.nodes(data="bipartite") if b == 1} == {"c:688787"}
    assert G.number_of_edges() == 10
    G = build_graph(records, res, until="2024-08-27")  # inclusive: 虹软科技 starts 08-27
    assert {n for n, b in G.nodes(data="bipartite") if b == 1} == {"c:688088"}
    G = build_graph(records, res, since="2024-08-30", until="2024-09-04")
    assert {n for n, b in G.nodes(data="bipartite") if b == 1} == {"c:688561", "c:688787"}
    assert G.degree("c:688787") == 3  # only record 001
    G = build_graph(records, res, types={"电话会议"})
    assert {n for n, b in G.nodes(data="bipartite") if b == 1} == {"c:688787"}
    assert G.degree("c:688787") == 7
    # 奇安信's types are unknown: it never matches a type filter
    G = build_graph(records, res, types=["特定对象调研", "分析师会议"])
    assert {n for n, b in G.nodes(data="bipartite") if b == 1} == {"c:688088", "c:688787"}
    # a record without a date is dropped by a date filter only
    undated = [rec("u", "600001", None, ["甲证券"])]
    assert build_graph(undated, RES).number_of_edges() == 1
    assert build_graph(undated, RES, since="2024-01-01").number_of_edges() == 0


def test_bad_options():
    with pytest.raises(OptionError, match="level"):
        build_graph([], RES, level="person")
    with pytest.raises(OptionError, match="ISO date"):
        build_graph([], RES, since="2024/01/01")
    with pytest.raises(OptionError, match="after"):
        build_graph([], RES, since="2024-02-01", until="2024-01-01")


def test_group_level():
    records = [
        rec("r1", "600001", "2024-03-01", ["甲证券", "甲基金"]),
        rec("r2", "600001", "2024-03-05", ["甲基金"]),
        rec("r3", "600002", "2024-03-05", ["甲证券", "乙基金"]),
    ]
    G = build_graph(records, RES, level="group")
    assert sorted(n for n, b in G.nodes(data="bipartite") if b == 0) == ["g:B", "g:甲集团"]
    # 甲证券 and 甲基金 in one record: one visit of the group
    assert G.edges["g:甲集团", "c:600001"]["visits"] == 2
    node = G.nodes["g:甲集团"]
    assert node["label"] == "甲集团" and node["members"] == 2
    # one member each type; 甲基金 made 2 visits, 甲证券 2 -> equal; no member named like the
    # group -> alphabetical: 基金管理公司 < 证券公司
    assert node["type"] == "基金管理公司"
    E = build_graph(records, RES)
    assert E.edges["i:A", "c:600001"]["visits"] == 1 and E.edges["i:AF", "c:600001"]["visits"] == 2


def test_group_level_on_seeds(seed_graph):
    G = build_graph(seeds.seed_records(), seeds.seed_resolution(), level="group")
    # 光大证券 group: 光大证券股份有限公司 (证券公司, 2 visits) + 光大保德信基金 (1 visit)
    assert G.nodes["g:光大证券"]["type"] == "证券公司"
    # 东兴证券: one 证券公司 and one 基金管理公司 member, one visit each -> the namesake member
    assert G.nodes["g:东兴证券"]["type"] == "证券公司"
    assert G.nodes["g:高盛"]["type"] == "海外机构" and G.nodes["g:高盛"]["members"] == 3
    assert G.degree("c:688088") == 68 and G.degree("c:688561") == 108


def test_order_independent_and_input_untouched():
    records = [
        rec("r1", "600001", "2024-03-01", ["甲证券", ("乙基金", "张三")]),
        rec("r2", "600002", "2024-05-02", [("乙基金", "李四"), "丙资产"]),
        rec("r3", "600001", "2024-04-01", [("丙资产", "王五")]),
    ]
    res = copy.deepcopy(RES)
    before = copy.deepcopy(records)
    G1 = build_graph(records, res)
    G2 = build_graph(list(reversed(records)), res)
    assert list(G1.nodes(data=True)) == list(G2.nodes(data=True))
    assert list(G1.edges(data=True)) == list(G2.edges(data=True))
    assert records == before and res == RES


def test_short_name_is_the_latest():
    records = [
        rec("r1", "600001", "2024-03-01", ["甲证券"], short_name="旧名"),
        rec("r2", "600001", "2024-06-01", ["甲证券"], short_name="新名"),
    ]
    assert build_graph(records, RES).nodes["c:600001"]["label"] == "新名"
    assert build_graph(records[::-1], RES).nodes["c:600001"]["label"] == "新名"


def test_projections(seed_graph):
    G = seed_graph
    before = (list(G.nodes(data=True)), list(G.edges(data=True)))
    P = project_companies(G)
    assert sorted(P.edges(data="weight")) == [
        ("c:688088", "c:688561", 25),
        ("c:688088", "c:688787", 1),
        ("c:688561", "c:688787", 2),
    ]
    assert P.edges["c:688088", "c:688787"]["jaccard"] == pytest.approx(1 / 79)
    assert P.nodes["c:688088"]["label"] == "虹软科技"
    Q = project_institutions(G)
    insts = [n for n, b in G.nodes(data="bipartite") if b == 0]
    ref = nx.bipartite.weighted_projected_graph(G, insts)
    assert {frozenset(e): w for *e, w in Q.edges(data="weight")} == {
        frozenset(e): w for *e, w in ref.edges(data="weight")
    }
    assert Q.edges[CJ, HD]["weight"] == 2 and Q.edges[CJ, HD]["jaccard"] == pytest.approx(2 / 3)
    assert project_institutions(G, min_shared=2).number_of_edges() < Q.number_of_edges()
    assert (list(G.nodes(data=True)), list(G.edges(data=True))) == before


def _plain_edges(records, res: Resolution, since=None, until=None, types=None) -> dict:
    """The edges of the docstring, record by record with plain sets: the oracle of build_graph's columns."""
    visits: dict = {}
    for r in records:
        if r.kind != "ir_record" or r.error or not (r.stock_code or r.company):
            continue
        date = r.dates[0] if r.dates else None
        if ((since or until) and date is None) or (since and date < since) or (until and date > until):
            continue
        if types is not None and not (r.activity_types and set(r.activity_types) & types):
            continue
        for a in r.attendees:
            mt = None if a.generic else res.get(a.institution)
            if mt is None or mt.method == "generic" or not mt.institution_id:
                continue
            e = visits.setdefault(("i:" + mt.institution_id, "c:" + (r.stock_code or r.company)),
                                  {"recs": set(), "dates": set(), "types": set(), "persons": set()})
            e["recs"].add(r.source)
            e["dates"] |= {date} - {None}
            e["types"] |= set(r.activity_types or ())
            e["persons"] |= {a.person} - {None}
    return {
        k: {"visits": len(e["recs"]), "first_date": min(e["dates"], default=""),
            "last_date": max(e["dates"], default=""), "dates": ";".join(sorted(e["dates"])),
            "activity_types": ";".join(sorted(e["types"])), "persons": ";".join(sorted(e["persons"])),
            "sources": ";".join(sorted(e["recs"]))}
        for k, e in visits.items()
    }


def test_edges_equal_a_plain_record_by_record_count_in_sorted_order():
    """Random records (repeat visits, duplicate rows, persons or none, generic rows, unknown names,
    records without a code, with an error or without a date): build_graph's column-wise edges are
    those of a plain pass over the records, inserted in sorted order, also through graph_rows."""
    import random

    from irgraph.graph import graph_rows

    rng = random.Random(7)
    raw = ["甲证券", "甲证券研究所", "甲基金", "乙基金", "丙资产", "个人投资者", "不认识的机构"]
    records = []
    for k in range(300):
        names = [Attendee(rng.choice(raw), rng.choice([None, None, "张三", "李四", "王五"]),
                          generic=rng.random() < 0.05) for _ in range(rng.randint(0, 6))]
        code = rng.choice(["600001", "600002", "600003", "000004", None])
        records.append(rec(f"r{k:03d}", code, rng.choice([None, "2024-01-05", "2024-03-01", "2024-06-30"]),
                           names, types=rng.choice([None, ("特定对象调研",), ("分析师会议", "电话会议")]),
                           company=rng.choice([f"公司{code}", None]) if code else rng.choice(["某公司", None]),
                           error="unreadable" if rng.random() < 0.03 else None))
    for kw in ({}, {"since": "2024-02-01"}, {"until": "2024-03-01", "types": {"分析师会议"}}):
        G = build_graph(records, RES, **kw)
        want = _plain_edges(records, RES, kw.get("since"), kw.get("until"), kw.get("types"))
        got = {(u, v) if u.startswith("i:") else (v, u): d for u, v, d in G.edges(data=True)}
        assert got == want
        inst = [n for n in G if n.startswith("i:")]
        assert inst == sorted(inst) and list(G)[len(inst):] == sorted(G.nodes - set(inst))
        for n in G:
            assert list(G[n]) == sorted(G[n])
        # one attribute dict per edge (edges visited once get copies of a dict per record), the same
        # seen from both ends, its keys in one order
        datas = [d for _, _, d in G.edges(data=True)]
        assert len({id(d) for d in datas}) == len(datas) == G.number_of_edges()
        assert all(G[u][v] is G[v][u] for u, v in G.edges)
        assert {tuple(d) for d in datas} <= {("visits", "first_date", "last_date", "dates", "activity_types",
                                              "persons", "sources")}
        assert G.graph["unresolved_rows"] == sum(
            1 for r in records if not r.error and (r.stock_code or r.company) and r.kind == "ir_record"
            and not ((kw.get("since") or kw.get("until")) and not r.dates)
            and not (kw.get("since") and r.dates and r.dates[0] < kw["since"])
            and not (kw.get("until") and r.dates and r.dates[0] > kw["until"])
            and not (kw.get("types") and not set(r.activity_types or ()) & kw["types"])
            for a in r.attendees if not a.generic and a.institution == "不认识的机构")
        from_rows = build_graph(graph_rows(records), RES, **kw)
        assert list(from_rows.nodes(data=True)) == list(G.nodes(data=True))
        assert list(from_rows.edges(data=True)) == list(G.edges(data=True))
