"""GraphML/GEXF/Parquet/xlsx writers: round trips, byte determinism, inert formula cells."""

from __future__ import annotations

import importlib.util
import random
import zipfile
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from openpyxl import load_workbook

from irgraph.errors import OutputError
from irgraph.export import write_gexf, write_graphml, write_parquet, write_xlsx
from irgraph.graph import build_graph
from irgraph.report import centrality, company_overlap

_spec = importlib.util.spec_from_file_location(
    "_irgraph_golden_seeds", Path(__file__).parent / "golden" / "seeds.py"
)
seeds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seeds)


@pytest.fixture(scope="module")
def G() -> nx.Graph:
    return build_graph(seeds.seed_records(), seeds.seed_resolution())


def snapshot(G: nx.Graph):
    return list(G.nodes(data=True)), list(G.edges(data=True)), dict(G.graph)


def check_round_trip(G: nx.Graph, H: nx.Graph, drop=()) -> None:
    assert sorted(H.nodes) == sorted(G.nodes)
    assert {frozenset(e) for e in H.edges} == {frozenset(e) for e in G.edges}
    for n, d in G.nodes(data=True):
        assert H.nodes[n] == d, n
    for u, v, d in G.edges(data=True):
        got = {k: x for k, x in H.edges[u, v].items() if k not in drop}
        # the writers add weight = visits for Gephi
        assert got == {**d, "weight": d["visits"]}, (u, v)


def test_graphml_round_trip(G, tmp_path):
    before = snapshot(G)
    path = tmp_path / "graph.graphml"
    write_graphml(G, path)
    H = nx.read_graphml(path)
    check_round_trip(G, H)
    assert {H.nodes[n]["bipartite"] for n in H} == {0, 1}
    assert snapshot(G) == before  # weight was added to a copy only


def test_gexf_round_trip_and_no_timestamp(G, tmp_path):
    path = tmp_path / "graph.gexf"
    write_gexf(G, path)
    text = path.read_text(encoding="utf-8")
    assert "lastmodifieddate" not in text
    H = nx.read_gexf(path)
    check_round_trip(G, H, drop=("id",))  # read_gexf adds the GEXF edge id
    assert H.nodes["c:688088"]["label"] == "虹软科技"


def test_group_level_graph_round_trips(tmp_path):
    Gg = build_graph(seeds.seed_records(), seeds.seed_resolution(), level="group")
    write_graphml(Gg, tmp_path / "g.graphml")
    write_gexf(Gg, tmp_path / "g.gexf")
    check_round_trip(Gg, nx.read_graphml(tmp_path / "g.graphml"))
    check_round_trip(Gg, nx.read_gexf(tmp_path / "g.gexf"), drop=("id",))


def test_non_scalar_attributes_are_flattened(tmp_path):
    H = nx.Graph()
    H.add_node("i:a", bipartite=0, label="a", tags=("x", "y"), missing=None, flag=True)
    H.add_node("c:b", bipartite=1, label="b")
    H.add_edge("i:a", "c:b", visits=2)
    write_graphml(H, tmp_path / "h.graphml")
    R = nx.read_graphml(tmp_path / "h.graphml")
    assert R.nodes["i:a"] == {"bipartite": 0, "label": "a", "tags": "x;y", "flag": 1}
    assert H.nodes["i:a"]["tags"] == ("x", "y")  # input untouched


def test_writes_are_byte_deterministic(G, tmp_path):
    frames = {"centrality": centrality(G), "company_overlap": company_overlap(G)}
    G2 = build_graph(seeds.seed_records()[::-1], seeds.seed_resolution())
    for i, graph in enumerate((G, G2)):
        d = tmp_path / str(i)
        write_graphml(graph, d / "graph.graphml")
        write_gexf(graph, d / "graph.gexf")
        write_xlsx(frames, d / "report.xlsx")
        write_parquet(frames, d)
    names = ["graph.graphml", "graph.gexf", "report.xlsx", "centrality.parquet", "company_overlap.parquet"]
    for name in names:
        a, b = (tmp_path / "0" / name).read_bytes(), (tmp_path / "1" / name).read_bytes()
        assert a == b, name
    # no temp files left behind
    assert sorted(p.name for p in (tmp_path / "0").iterdir()) == sorted(names)


def test_parquet_round_trip(G, tmp_path):
    df = centrality(G)
    paths = write_parquet({"centrality": df}, tmp_path)
    assert paths == [tmp_path / "centrality.parquet"]
    back = pd.read_parquet(paths[0])
    pd.testing.assert_frame_equal(back, df, check_dtype=False)
    assert df.attrs["betweenness_method"] == "exact"  # the caller's frame keeps its attrs
    with pytest.raises(OutputError):
        write_parquet({"../evil": df}, tmp_path)


def test_xlsx_formula_cells_are_inert(tmp_path):
    df = pd.DataFrame(
        {
            "text": ['=HYPERLINK("http://evil.example","x")', "+1+2", "-A1", "@SUM(A1:A2)", "-0.5", "国金证券"],
            "n": [1, 2, 3, 4, 5, 6],
            "x": [0.5, float("nan"), 1.0, 2.0, 3.0, 4.0],
        }
    )
    path = tmp_path / "r.xlsx"
    write_xlsx({"peer_gap": df, "second": df.head(1)}, path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["peer_gap", "second"]
    ws = wb["peer_gap"]
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    col = [ws.cell(row=r, column=1).value for r in range(2, 8)]
    assert col == ["'=HYPERLINK(\"http://evil.example\",\"x\")", "'+1+2", "'-A1", "'@SUM(A1:A2)", "-0.5", "国金证券"]
    assert ws["B2"].value == 1 and ws["C3"].value is None
    assert ws["A1"].font.bold and ws.freeze_panes == "A2"
    with zipfile.ZipFile(path) as z:
        core = z.read("docProps/core.xml").decode()
        assert "2000-01-01T00:00:00Z" in core
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}


def test_xlsx_drops_control_characters(tmp_path):
    df = pd.DataFrame({"name": ["国金\x07证券", "ok\tfine"]})
    write_xlsx({"t": df}, tmp_path / "c.xlsx")
    ws = load_workbook(tmp_path / "c.xlsx")["t"]
    assert [ws["A2"].value, ws["A3"].value] == ["国金证券", "ok\tfine"]


def test_xlsx_cells_round_trip(tmp_path):
    """Every kind of cell the reports hold reads back as written (the rows are written by irgraph's
    own cell writer inside openpyxl's workbook): text that needs escaping or keeps its spaces,
    non-characters dropped, numbers, nullable integers, booleans, empty and missing cells."""
    df = pd.DataFrame({
        "text": [" lead", "trail ", "a&b<c>\"d'", "中文\ufffe\uffff", "", None, "=SUM(A1)", "-0.5", "两行\n文字"],
        "int": pd.array([1, None, -3, 4, 5, 6, 7, 8, 2**40], dtype="Int64"),
        "float": [0.1, float("nan"), 1e20, -0.0, 1 / 3, 2.0, 1e-300, 5.5, 12345678.125],
        "flag": [True, False, True, False, True, False, True, False, True],
    })
    path = tmp_path / "r.xlsx"
    write_xlsx({"cells": df, "no rows": df.head(0)}, path)
    wb = load_workbook(path)
    rows = list(wb["cells"].iter_rows(values_only=True))
    assert rows[0] == ("text", "int", "float", "flag")
    assert [r[0] for r in rows[1:]] == [" lead", "trail ", "a&b<c>\"d'", "中文", None, None, "'=SUM(A1)", "-0.5",
                                        "两行\n文字"]
    assert [r[1] for r in rows[1:]] == [1, None, -3, 4, 5, 6, 7, 8, 2**40]
    assert [r[2] for r in rows[1:]] == [0.1, None, 1e20, 0, 1 / 3, 2, 1e-300, 5.5, 12345678.125]
    assert [r[3] for r in rows[1:]] == [True, False, True, False, True, False, True, False, True]
    assert list(wb["no rows"].iter_rows(values_only=True)) == [("text", "int", "float", "flag")]
    assert wb["cells"].freeze_panes == "A2" and wb["cells"]["A1"].font.b


def test_xlsx_column_writer_is_the_cell_writer():
    """Sheets are written a column at a time by dtype; every column gives the XML the per-cell
    writer gives, whatever its dtype and values (and a text column's memo across chunks)."""
    import numpy as np

    from irgraph import export

    texts = [" lead", "trail ", "a&b<c>\r\"d'", "中文\ufffe\x07", "", None, "=SUM(A1)", "-0.5", "@x", "两行\n文字"]
    columns = {
        "object": texts,
        "string": pd.array(texts, dtype="string"),
        "string_nan": pd.Series(texts, dtype="str"),
        "mixed": ["a", 1, 2.5, None, True, np.int64(7), float("nan"), pd.NA, "", float("inf")],
        "int64": np.array([0, -1, 2**40, 2**53 + 1, 7, 8, 9, 10, 11, 12], dtype=np.int64),
        "uint64": np.array([2**64 - 1, 0, 1, 2, 3, 4, 5, 6, 7, 8], dtype=np.uint64),
        "Int64": pd.array([1, None, -3, 4, 5, 6, 7, 8, 2**40, None], dtype="Int64"),
        "float": [0.1, float("nan"), 1e20, -0.0, 1 / 3, float("inf"), -float("inf"), 1e-300, 12345678.125, 2.0],
        "float32": np.array([0.1, 1.5, -2, 3, 4, 5, 6, 7, 8, 9], dtype=np.float32),
        "bool": [True, False] * 5,
        "category": pd.Categorical(["x", "y", None, "x", "z", "y", "x", "", "=1", "w"]),
        "datetime": pd.to_datetime(["2024-01-02"] * 9 + [None]),
    }
    df = pd.DataFrame(columns)
    letters = export._column_letters(df.shape[1])
    for chunk in (3, 10):  # repeated texts meet the memo in later chunks
        reference = []
        for start in range(0, len(df), chunk):
            part = df.iloc[start:start + chunk]
            numbers = [str(i) for i in range(start + 2, start + 2 + len(part))]
            cells = [[export._cell_xml(letter + n, export._cell(v)) for n, v in zip(numbers, part.iloc[:, j].tolist(), strict=True)]
                     for j, letter in enumerate(letters)]
            reference.append("".join(f'<row r="{n}">{"".join(c)}</row>' for n, *c in zip(numbers, *cells, strict=True)))
        assert export._rows_xml(df, chunk=chunk) == "".join(reference).encode("ascii", "xmlcharrefreplace")
    assert b"&amp;b&lt;c&gt;&#13;" in export._rows_xml(df) and b"'=SUM(A1)" in export._rows_xml(df)


def test_write_errors_are_output_errors(G, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        write_graphml(G, blocker / "graph.graphml")
    with pytest.raises(OutputError):
        write_xlsx({"a": pd.DataFrame({"x": [1]})}, blocker / "r.xlsx")


def _graphs_of_every_edge_shape() -> dict[str, nx.Graph]:
    """Small graphs whose edges take each path of the writers: one shape (as columns), several."""
    graphs = {}
    for kind in ("plain", "weight", "mixed", "shapes", "noattrs", "bool", "none"):
        g = nx.Graph(level="entity")
        g.add_node("i:a&b", bipartite=0, label='A "q" <x>', type="基金")
        g.add_node("c:1", bipartite=1, label="c1", code="000001")
        g.add_node("c:2", bipartite=1, label="c2\x01bad", code="2")
        edges = {
            "plain": [{"visits": 2, "dates": "2024-01-01;2024-02-02", "persons": "张三&李四", "score": 0.5},
                      {"visits": 1, "dates": "2024-03-03", "persons": "", "score": 1.0}],
            "weight": [{"weight": 2.5, "note": "x"}, {"weight": 1.0, "note": "y<"}],
            "mixed": [{"visits": 2}, {"visits": 1.5}],
            "shapes": [{"visits": 2, "a": "x"}, {"a": "y", "visits": 1}],
            "noattrs": [{}, {}],
            "bool": [{"flag": True}, {"flag": False}],
            "none": [],
        }[kind]
        for c, attrs in zip(("c:1", "c:2"), edges, strict=False):
            g.add_edge("i:a&b", c, **attrs)
        graphs[kind] = g
    return graphs


def _random_graph(seed: int, n: int, kind: type[nx.Graph] = nx.Graph) -> nx.Graph:
    """A graph of ``n`` nodes with the texts, types and shapes the writers must handle: characters XML
    escapes or cannot hold, attributes missing or in another order, mixed and non-plain values."""
    rng = random.Random(seed)
    texts = ["", "a", "基金", "A&B", "<x>", 'say "hi"', "tab\there", "ctl\x01\x1f", "bad\ufffe\uffff",
             " padded ", "emoji 😀", "&amp;", "]]>", "line\nbreak", "cr\r"]
    values = [*texts, 0, 1, -7, 2**70, 0.0, -0.0, 1.5, float("nan"), float("inf"), True, None, ("x", "y"), {"b", "a"}]
    g = kind(level="entity", note=rng.choice(texts) or "n")
    nodes = [rng.choice([f"i:{rng.choice(texts)}{k}", f"c:{k}", k]) for k in range(n)]
    for k, node in enumerate(nodes):
        if rng.random() < 0.6:  # a long stretch of one shape
            attrs = {"bipartite": k % 2, "label": rng.choice(texts), "code": rng.choice(texts)}
        else:
            names = rng.sample(["bipartite", "label", "type", "x", "y"], rng.randint(0, 4))
            attrs = {name: rng.choice(values if rng.random() < 0.3 else texts) for name in names}
        g.add_node(node, **attrs)
    for _ in range(3 * n):
        u, v = rng.choice(nodes), rng.choice(nodes)
        r = rng.random()
        if r < 0.7:
            attrs = {"visits": rng.randint(1, 5), "dates": rng.choice(texts), "persons": rng.choice(texts)}
        elif r < 0.8:
            attrs = {"persons": rng.choice(texts), "visits": rng.choice([1, 2.5, -0.0])}
        elif r < 0.9:
            attrs = {"weight": rng.choice(values[len(texts):-5]), "note": rng.choice(values)}
        else:
            attrs = {}
        g.add_edge(u, v, **attrs)
    return g


def _graphs_to_write(G: nx.Graph) -> dict[str, nx.Graph]:
    graphs = {**_graphs_of_every_edge_shape(), "samples": G, "empty": nx.Graph(),
              "group": build_graph(seeds.seed_records(), seeds.seed_resolution(), level="group")}
    nodes_only = nx.Graph()
    nodes_only.add_nodes_from((f"n{k}", {"label": f"<{k}>"}) for k in range(100))
    graphs["nodes only"] = nodes_only
    for seed in range(6):
        graphs[f"random {seed}"] = _random_graph(seed, 40 + 60 * seed)
    graphs["random digraph"] = _random_graph(7, 150, nx.DiGraph)
    graphs["random multigraph"] = _random_graph(8, 150, nx.MultiGraph)
    graphs["random view"] = _random_graph(9, 200).subgraph(range(0, 200, 2))
    return graphs


def test_graph_files_from_columns_are_the_files_written_element_by_element(G, tmp_path, monkeypatch) -> None:
    """Runs of nodes or edges of one shape are written from columns (Arrow): the same bytes as writing
    element by element (escapes, dropped characters, weights, labels, mixed types, -0.0, big ints,
    missing attributes, non-plain values, self-loops, directed and multi graphs, chunk boundaries)."""
    from irgraph import export

    def files(name: str, g: nx.Graph) -> tuple[bytes, ...]:
        export.write_graph_files(g, tmp_path / f"{name}.graphml", tmp_path / f"{name}.gexf")
        return tuple((tmp_path / f"{name}.{ext}").read_bytes() for ext in ("graphml", "gexf"))

    runs = 0
    for name, g in _graphs_to_write(G).items():
        monkeypatch.setattr(export, "_MIN_RUN", 10**9)  # every element written one by one,
        monkeypatch.setattr(export, "_ADJACENCY_READ", ())  # the edges from G.edges(data=True)
        plain = files("plain", g)
        monkeypatch.setattr(export, "_ADJACENCY_READ", (nx.Graph, nx.DiGraph))
        monkeypatch.setattr(export, "_MIN_RUN", 64)
        assert files("default", g) == plain, name
        write_graphml(g, tmp_path / "alone.graphml")
        write_gexf(g, tmp_path / "alone.gexf")
        assert ((tmp_path / "alone.graphml").read_bytes(), (tmp_path / "alone.gexf").read_bytes()) == plain, name
        monkeypatch.setattr(export, "_MIN_RUN", 1)  # every run from columns, in chunks of 7
        monkeypatch.setattr(export, "_CHUNK", 7)
        assert files("columns", g) == plain, name
        monkeypatch.setattr(export, "_CHUNK", 20_000)
        runs += sum(isinstance(s, export._Run) for s in export._Elements.edges(g).segments)
        runs += sum(isinstance(s, export._Run) for s in export._Elements.nodes(g).segments)
    assert runs > 100  # (the column path was taken)
    # the year's graphs are written from columns: one run of institutions, one of companies, one of edges
    assert [type(s) for s in export._Elements.nodes(G).segments] == [export._Run, export._Run]
    assert [type(s) for s in export._Elements.edges(G).segments] == [export._Run]


def test_graph_files_read_back(tmp_path) -> None:
    """A random graph written from columns reads back as written (networkx' readers)."""
    g = nx.Graph()
    for k in range(300):
        g.add_node(f"i:机构&<{k}>", bipartite=0, label=f'名 "{k}"', type="基金")
        g.add_node(f"c:{k:06d}", bipartite=1, label=f"公司{k}", code=f"{k:06d}", records=k)
    for k in range(300):
        for j in (k, (k * 7) % 300):
            g.add_edge(f"i:机构&<{k}>", f"c:{j:06d}", visits=j + 1, dates="2024-01-01;2024-02-02", persons="张三&李四")
    write_graphml(g, tmp_path / "g.graphml")
    write_gexf(g, tmp_path / "g.gexf")
    check_round_trip(g, nx.read_graphml(tmp_path / "g.graphml"))
    check_round_trip(g, nx.read_gexf(tmp_path / "g.gexf"), drop=("id",))
