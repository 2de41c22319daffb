"""Deterministic year-scale synthetic corpus of investor-relations activity records, with truth.

    .venv/bin/python benchmarks/corpus.py OUT_DIR --records 30000 --seed 7 [--start 0]

Writes ``OUT_DIR/records/YYYY-MM/CODE_SERIAL.txt`` (one text record per file, in the layouts real
records use) and ``OUT_DIR/truth.jsonl`` (one line per file: the expected attendee rows
``[raw_institution, person, truth_id]`` in document order, the expected dates and stock code).
``truth_id`` is the registry ``institution_id`` of the entity a raw name was drawn from, or
``syn-NNNNN`` for a generated (unregistered) firm, so resolution can be scored pairwise.

What is modelled:

* ~4,500 listed companies (code, short name, full name); companies and institutions are drawn
  with heavy-tailed (Zipf) popularity; meeting sizes are heavy-tailed (most 1-10 institutions,
  a tail up to ~240).
* ~12,000 institutions: every registry entry of ``data/institutions.csv`` plus generated private
  funds / investment companies (上海XX私募基金管理有限公司 and their short forms).
* Name variants of a known truth: legal name, short names, desk suffixes (研究所, 自营), traditional
  characters, full/half-width brackets, and typos in a small share (a dropped character of the
  legal suffix, a homophone in a long brand).
* Each institution has a staff pool, so the same analyst recurs across records (person evidence);
  person names follow a realistic surname distribution.
* Attendee layouts: ``机构 人、人`` lines, ``机构：人、人`` lines (wrapped), glued ``机构人名`` runs
  wrapped at a fixed width, ``、``-runs of institutions wrapped over lines (等机构 / 排名不分先后),
  ``序号 单位 姓名`` attachments, flattened one-cell-per-line tables with blank lines, person-first
  tables, Chinese-then-English lists, per-date sub-lists, space-separated persons, pairs on a line.
* Dates across one year, check boxes in several glyph styles, wrapped/letter-spaced labels, a
  short Q&A body, a small share of GB18030 and CRLF files.

Record ``i`` depends only on ``(seed, i)`` and the shared tables, so ``--start 30000 --records 100``
yields exactly the 100 records a 30,100-record corpus would add. No network, no randomness
outside the seeded generators.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

YEAR = 2024
N_COMPANIES = 4500
N_INSTITUTIONS = 12000

CITIES = ["上海", "北京", "深圳", "杭州", "广州", "宁波", "南京", "苏州", "厦门", "成都", "珠海", "青岛", "武汉",
          "西安", "长沙", "天津", "重庆", "合肥", "福州", "济南", "无锡", "东莞", "佛山", "海南", "郑州"]
BRAND_CHARS = ("泓翼澜岳蓝禾岩榕桐霁砚朴琢鹤峰溪泽汐瀚澄鼎睿曜昊铭乾坤谦朗远途景川山星辰宸祥悦涵润聚"
               "盈茂隆启航正道合智勤毅锦思源明德致远凯旋宁静笃行知止松竹梧桂若水云帆望岳金石玄同")
SYN_KINDS = [  # (legal form, short forms): every variant of a generated firm is one entity
    ("私募基金管理有限公司", ["私募", "私募基金"]),
    ("投资管理有限公司", ["投资", "投资管理"]),
    ("资产管理有限公司", ["资产", "资产管理"]),
    ("私募证券投资基金管理有限公司", ["私募", "私募基金"]),
    ("投资有限公司", ["投资"]),
    ("创业投资有限公司", ["创投"]),
]
COMPANY_CHARS = ("华海天瑞声虹软奇安信科达新宏远恒通力金泰中航光电晶微芯源博明嘉兴润丰隆盛德汇智诚鼎"
                 "卓越长安国东方南北亚太星辰云峰川岳江湖蓝天启明阳光万宁和康泽凯思维佳聚鑫")
INDUSTRIES = ["科技", "电子", "医药", "能源", "材料", "智能", "新材", "环境", "精密", "光电", "生物", "电气", "机械",
              "化工", "食品", "信息", "通信", "装备", "汽车", "半导体", "软件", "股份", "集团", "药业", "电力"]
CODE_BLOCKS = [("600", 900), ("601", 400), ("603", 800), ("605", 250), ("000", 500), ("001", 150), ("002", 900),
               ("300", 900), ("301", 400), ("688", 600)]
# (surname, relative frequency): the Chinese surname distribution, head first
SURNAMES = [("王", 7.1), ("李", 7.0), ("张", 6.9), ("刘", 5.4), ("陈", 4.6), ("杨", 3.1), ("黄", 2.2), ("赵", 2.1),
            ("吴", 2.0), ("周", 1.9), ("徐", 1.3), ("孙", 1.2), ("马", 1.2), ("朱", 1.1), ("胡", 1.1), ("郭", 1.1),
            ("何", 1.0), ("林", 1.0), ("罗", 0.9), ("高", 0.9), ("郑", 0.8), ("梁", 0.8), ("谢", 0.7), ("宋", 0.7),
            ("唐", 0.7), ("许", 0.7), ("韩", 0.6), ("冯", 0.6), ("邓", 0.6), ("曹", 0.6), ("彭", 0.5), ("曾", 0.5),
            ("肖", 0.5), ("田", 0.5), ("董", 0.5), ("潘", 0.4), ("袁", 0.4), ("蔡", 0.4), ("蒋", 0.4), ("余", 0.4),
            ("于", 0.4), ("杜", 0.4), ("叶", 0.4), ("程", 0.4), ("魏", 0.3), ("苏", 0.3), ("吕", 0.3), ("丁", 0.3),
            ("任", 0.3), ("卢", 0.3), ("姚", 0.3), ("沈", 0.3), ("钟", 0.3), ("姜", 0.3), ("崔", 0.3), ("谭", 0.3),
            ("陆", 0.3), ("范", 0.2), ("汪", 0.2), ("廖", 0.2), ("石", 0.2), ("金", 0.2), ("韦", 0.2), ("贾", 0.2),
            ("夏", 0.2), ("付", 0.2), ("方", 0.2), ("邹", 0.2), ("熊", 0.2), ("白", 0.2), ("孟", 0.2), ("秦", 0.2),
            ("邱", 0.2), ("侯", 0.2), ("江", 0.2), ("尹", 0.2), ("薛", 0.2), ("闫", 0.2), ("段", 0.1), ("雷", 0.1),
            ("龙", 0.1), ("黎", 0.1), ("史", 0.1), ("陶", 0.1), ("贺", 0.1), ("毛", 0.1), ("郝", 0.1), ("顾", 0.1),
            ("龚", 0.1), ("邵", 0.1), ("万", 0.1), ("覃", 0.1), ("武", 0.1), ("钱", 0.1), ("戴", 0.1), ("严", 0.1),
            ("欧阳", 0.05), ("司马", 0.01), ("上官", 0.01), ("诸葛", 0.01)]
GIVEN_CHARS = ("伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉宇浩然轩晨雨欣怡佳"
               "梓涵子萱一诺睿泽思远文博俊凯嘉琪雪婷婧瑶颖倩晶璐琳蕾薇悦昊天宁逸航哲翔楠斌波峰亮昕"
               "晓雯雅楷茜岚晗妍曦朗毅锋旭峥骁奕慧蓓琦珂")
CATEGORIES = ["特定对象调研", "分析师会议", "媒体采访", "业绩说明会", "新闻发布会", "路演活动", "现场参观", "其他"]
CHECKED = ["☑", "√", "■", "☒"]
UNCHECKED = ["□", "☐"]
PLACES = ["公司会议室", "电话会议", "线上会议", "腾讯会议", "公司总部会议室", "券商策略会", "现场+线上会议", "上海证券交易所路演中心",
          "深圳证券交易所互动易", "公司展厅及会议室"]
TITLES = ["董事会秘书", "证券事务代表", "财务总监", "副总经理", "董事长", "总经理", "投资者关系经理", "首席财务官"]
QUESTIONS = ["公司上半年收入增长的主要驱动因素是什么？", "公司毛利率变化的原因是什么？", "请介绍公司海外业务的进展。",
             "公司在研项目的进展情况如何？", "公司产能扩张的节奏如何？", "行业竞争格局如何变化？", "公司未来分红政策如何？",
             "原材料价格波动对公司有何影响？", "公司在手订单情况如何？", "公司对下半年的展望如何？",
             "公司研发投入的方向有哪些？", "公司现金流改善的原因是什么？"]
ANSWERS = ["受益于下游需求回暖及新产品放量，公司营业收入同比保持增长。", "公司持续优化产品结构，高毛利产品占比提升。",
           "公司海外客户认证稳步推进，部分产品已实现批量供货。", "公司将根据市场情况有序推进产能建设，保持合理的资本开支。",
           "行业集中度持续提升，具备技术和规模优势的企业将获得更多份额。", "公司重视投资者回报，将综合考虑经营情况制定分红方案。",
           "公司通过长协采购与套期保值等方式降低原材料价格波动的影响。", "目前公司在手订单充足，生产经营情况正常。",
           "公司将持续加大研发投入，巩固核心技术优势。", "具体情况请关注公司后续披露的定期报告。",
           "公司加强应收账款管理，销售回款同比增长。", "感谢您对公司的关注，公司将严格按照规定履行信息披露义务。"]
FOREIGN_EXTRA = ["Vision Point", "Aspen", "Dymon", "Optimas", "Fullerton", "Rockhampton Mgmt Ltd", "UG Fund"]

# layout -> relative frequency (roughly what a year of real records shows)
LAYOUTS = {
    "inst_space_persons": 18, "inst_colon": 14, "glued": 10, "inst_run": 16, "serial_attach": 8, "flat_cells": 4,
    "person_first": 5, "english": 3, "per_date": 5, "space_persons": 10, "pairs": 4, "inst_lines": 3,
}


@dataclass
class Firm:
    """One institution of the truth: id, weighted raw-name variants, a staff pool seed."""

    fid: str
    cjk: list[str]
    cjk_w: list[float]
    english: list[str] = field(default_factory=list)
    staff_size: int = 2


@dataclass
class Company:
    code: str
    short: str
    full: str


@dataclass
class World:
    """The tables shared by every record: firms, companies and their popularity."""

    firms: list[Firm]
    firm_cum: list[float]
    en_firms: list[Firm]
    en_cum: list[float]
    companies: list[Company]
    company_cum: list[float]
    seed: int


# ------------------------------------------------------------------------------------------ the world


def _cum(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))


@lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def _suffix_typo(name: str) -> str | None:
    for legal, typo in (("有限责任公司", "有限责公司"), ("股份有限公司", "股份有公司"), ("管理有限公司", "管理有限司"),
                        ("有限公司", "有线公司")):
        if name.endswith(legal):
            return name[: -len(legal)] + typo
    return None


def _registry_firms(rng: random.Random) -> list[Firm]:
    from irgraph.normalize import load_rules
    from irgraph.registry import load_registry

    reg = load_registry()
    conf: dict[str, str] = {}
    for pair in load_rules().confusables:
        a, b = sorted(pair)
        conf[a], conf[b] = b, a
    conv = _s2t()
    firms: list[Firm] = []
    for iid in sorted(reg.institutions):
        inst = reg.institutions[iid]
        unique = [n for n in (inst.name, *inst.short_names) if reg.lookup_name(n) == (iid,)]
        names: dict[str, float] = {}

        def add(n: str, w: float, names: dict[str, float] = names, iid: str = iid) -> None:
            ids = reg.lookup_name(n)
            if n and (not ids or ids == (iid,)):
                names.setdefault(n, w)

        for n in unique:
            if not any("\u3400" <= c <= "\u9fff" for c in n) or " " in n or "," in n:
                continue
            add(n, 3.0 if n != inst.name else 2.0)
            if n.endswith("证券") and inst.type == "证券公司":
                add(n + "研究所", 0.4)
                add(n + "自营", 0.2)
            trad = conv.convert(n)
            if trad != n and len(n) >= 4:
                add(trad, 0.15)
            if "（" in n or "(" in n:
                add(n.replace("（", "(").replace("）", ")") if "（" in n else n.replace("(", "（").replace(")", "）"), 0.5)
            typo = _suffix_typo(n)
            if typo:
                add(typo, 0.04)
            if len(n) >= 6 and rng.random() < 0.3:
                idx = [i for i, c in enumerate(n[:4]) if c in conf]
                if idx:
                    i = rng.choice(idx)
                    add(n[:i] + conf[n[i]] + n[i + 1:], 0.04)
        english = [e for e in inst.english_names if "," not in e and len(e) <= 40]
        if not names and not english:
            continue
        firms.append(Firm(iid, list(names), list(names.values()), english))
    return firms


def _synthetic_firms(n: int, taken: set[str], rng: random.Random) -> list[Firm]:
    conv = _s2t()
    firms: list[Firm] = []
    brands: set[str] = set()
    while len(firms) < n:
        size = 2 if rng.random() < 0.7 else 3
        brand = "".join(rng.choice(BRAND_CHARS) for _ in range(size))
        if brand in brands or len(set(brand)) < size:
            continue
        city = rng.choice(CITIES)
        legal, shorts = rng.choice(SYN_KINDS)
        full = city + brand + legal
        short = brand + shorts[0]
        if full in taken or short in taken:
            continue
        brands.add(brand)
        variants: dict[str, float] = {full: 3.0, short: 3.0}
        variants.setdefault(city + brand + rng.choice(shorts), 1.0)
        if rng.random() < 0.4:
            variants.setdefault(brand + legal, 1.0)
        if rng.random() < 0.1:
            variants.setdefault(conv.convert(full), 0.1)
        if rng.random() < 0.1:
            typo = _suffix_typo(full)
            if typo:
                variants.setdefault(typo, 0.05)
        taken.update(variants)
        firms.append(Firm(f"syn-{len(firms) + 1:05d}", list(variants), list(variants.values())))
    return firms


def _companies(rng: random.Random) -> list[Company]:
    codes: list[str] = []
    for prefix, n in CODE_BLOCKS:
        codes += [f"{prefix}{i:03d}" for i in sorted(rng.sample(range(1, 1000), n))]
    codes = sorted(rng.sample(codes, N_COMPANIES))
    out: list[Company] = []
    shorts: set[str] = set()
    for code in codes:
        while True:
            brand = "".join(rng.choice(COMPANY_CHARS) for _ in range(2))
            ind = rng.choice(INDUSTRIES)
            short = brand + ind if len(ind) == 2 else brand + ind[:2]
            if short not in shorts and brand[0] != brand[1]:
                break
        shorts.add(short)
        city = rng.choice(CITIES)
        full = f"{city}{brand}{ind}股份有限公司" if rng.random() < 0.6 else f"{brand}{ind}股份有限公司"
        out.append(Company(code, short, full))
    return out


@lru_cache(maxsize=4)
def make_world(seed: int) -> World:
    """The shared tables (deterministic in ``seed``)."""
    rng = random.Random(seed)
    reg_firms = _registry_firms(rng)
    taken = {n for f in reg_firms for n in f.cjk}
    syn = _synthetic_firms(N_INSTITUTIONS - len(reg_firms), taken, rng)
    # popularity: registry entities (brokers, fund managers ...) mostly ahead of the private funds
    ranked = reg_firms[:]
    rng.shuffle(ranked)
    order = ranked[:300] + syn[:300]
    rng.shuffle(order)
    rest = ranked[300:] + syn[300:]
    rng.shuffle(rest)
    firms = order + rest
    weights = [1.0 / (r + 5) ** 0.85 for r in range(len(firms))]
    for r, f in enumerate(firms):
        f.staff_size = max(2, min(60, int(80 / (r + 2) ** 0.45)))
    cjk_firms = [(f, w) for f, w in zip(firms, weights, strict=True) if f.cjk]
    en = [(f, w) for f, w in zip(firms, weights, strict=True) if f.english]
    companies = _companies(rng)
    rng.shuffle(companies)
    cw = [1.0 / (r + 20) ** 0.7 for r in range(len(companies))]
    return World([f for f, _ in cjk_firms], _cum([w for _, w in cjk_firms]), [f for f, _ in en],
                 _cum([w for _, w in en]), companies, _cum(cw), seed)


@lru_cache(maxsize=65536)
def _staff(seed: int, fid: str, size: int) -> tuple[str, ...]:
    """The analysts of one institution (order-independent: seeded by the firm id)."""
    rng = random.Random(f"{seed}:staff:{fid}")
    out: dict[str, None] = {}
    tries = 0
    while len(out) < size and tries < size * 5:
        tries += 1
        out.setdefault(person_name(rng), None)
    return tuple(out)


_SUR = [s for s, _ in SURNAMES]
_SUR_CUM = _cum([w for _, w in SURNAMES])


def person_name(rng: random.Random) -> str:
    """A Chinese personal name: surname by frequency, one or two given-name characters."""
    sur = _SUR[bisect.bisect(_SUR_CUM, rng.random() * _SUR_CUM[-1])]
    n = 1 if rng.random() < 0.22 else 2
    given = "".join(rng.choice(GIVEN_CHARS) for _ in range(n))
    return sur + given


# ------------------------------------------------------------------------------------------ one record


def _meeting_size(rng: random.Random) -> int:
    """Institutions in one meeting: most 1-10, a Pareto tail up to 240."""
    u = rng.random()
    if u < 0.55:
        return min(10, 1 + int(rng.expovariate(0.35)))
    x = 10 + int(rng.paretovariate(1.05) * 6 - 6)
    while x > 240:
        x = 10 + int(rng.paretovariate(1.05) * 6 - 6)
    return x


def _pick(world: World, firms: list[Firm], cum: list[float], n: int, rng: random.Random) -> list[Firm]:
    out: dict[str, Firm] = {}
    total = cum[-1]
    tries = 0
    while len(out) < n and tries < n * 20:
        tries += 1
        f = firms[bisect.bisect(cum, rng.random() * total)]
        out.setdefault(f.fid, f)
    return list(out.values())


def _variant(f: Firm, rng: random.Random) -> str:
    return rng.choices(f.cjk, weights=f.cjk_w)[0]


def _persons(world: World, f: Firm, rng: random.Random) -> list[str]:
    staff = _staff(world.seed, f.fid, f.staff_size)
    u = rng.random()
    k = 1 if u < 0.7 else 2 if u < 0.9 else rng.randint(3, 6)
    return rng.sample(staff, min(k, len(staff)))


def _wrap(text: str, width: int) -> list[str]:
    """Cut a run into lines of ``width`` characters; punctuation never starts a line."""
    lines: list[str] = []
    i = 0
    while i < len(text):
        j = min(len(text), i + width)
        while j < len(text) and text[j] in "、，。；）":
            j += 1
        lines.append(text[i:j])
        i = j
    return lines


def _wrap_at_seps(head: str, persons: list[str], width: int) -> list[str]:
    """``head`` + persons joined by 、, wrapped only after a 、 (as long person lists are)."""
    lines, line = [], head
    for k, p in enumerate(persons):
        piece = p + ("、" if k < len(persons) - 1 else "")
        if len(line) + len(piece) > width and line != head:
            lines.append(line)
            line = ""
        line += piece
    return [*lines, line]


def _date_cn(d: dt.date, spaced: bool) -> str:
    return f"{d.year} 年 {d.month} 月 {d.day} 日" if spaced else f"{d.year}年{d.month}月{d.day}日"


def _checkboxes(rng: random.Random) -> tuple[str, list[str]]:
    main = rng.choices(CATEGORIES[:7], weights=[60, 15, 2, 8, 1, 10, 6])[0]
    checked = {main}
    if rng.random() < 0.15:
        checked.add(rng.choice(["现场参观", "路演活动", "分析师会议"]))
    cg, ug = rng.choice(CHECKED), rng.choice(UNCHECKED)
    cells = [(cg if c in checked else ug) + c for c in CATEGORIES]
    lines = [" ".join(cells[i:i + 2]) for i in range(0, len(cells), 2)]
    return "\n".join(lines), [c for c in CATEGORIES if c in checked]


Row = tuple[str, "str | None", str]


def render_record(world: World, i: int) -> tuple[str, str, dict]:
    """Record ``i``: (relative path, text, truth object)."""
    rng = random.Random(world.seed * 1_000_003 + i)
    comp = world.companies[bisect.bisect(world.company_cum, rng.random() * world.company_cum[-1])]
    start = dt.date(YEAR, 1, 2)
    day = start + dt.timedelta(days=rng.randrange(360))
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    layout = rng.choices(list(LAYOUTS), weights=list(LAYOUTS.values()))[0]
    n = _meeting_size(rng)
    if layout in ("pairs", "person_first", "space_persons", "inst_lines"):
        n = min(n, 40)
    dates = [day]
    if layout == "per_date" or rng.random() < 0.08:
        dates.append(day + dt.timedelta(days=rng.choice([1, 1, 2, 3])))
    rows: list[Row] = []
    tail = ""
    spaced = rng.random() < 0.4

    if layout == "english":
        n_en = max(1, min(len(world.en_firms), n // 2 + 1))
        cjk = _pick(world, world.firms, world.firm_cum, max(1, n - n_en), rng)
        en = _pick(world, world.en_firms, world.en_cum, n_en, rng)
        names = [(_variant(f, rng), f.fid) for f in cjk]
        en_names = [(rng.choice(f.english), f.fid) for f in en]
        en_names = [(a, b) for a, b in dict(en_names).items()]
        rows = [(a, None, b) for a, b in names + en_names]
        body = "、".join(a for a, _ in names) + "、" + ", ".join(a for a, _ in en_names)
        value = _wrap_english(body, rng.randint(34, 44))
    else:
        firms = _pick(world, world.firms, world.firm_cum, n, rng)
        insts = [(_variant(f, rng), f) for f in firms]
        insts = list({a: (a, f) for a, f in insts}.values())
        value, rows, tail, dates = _LAYOUT_FUNCS[layout](world, insts, dates, rng)

    dates = sorted(set(dates))
    types_block, checked = _checkboxes(rng)
    label = rng.choice(["参与单位名称及人员姓名", "参与单位名称及\n人员姓名", "参 与 单 位\n名 称 及 人\n员姓名", "参与单位名称",
                        "参与单位及人员"])
    if layout in ("english", "inst_run", "per_date") and rng.random() < 0.5:
        label = "参与单位名称"
    recep = [(rng.choice(TITLES), person_name(rng)) for _ in range(rng.randint(1, 3))]
    if len(dates) == 1:
        time_text = _date_cn(dates[0], spaced) + rng.choice(["", " 15:00-16:30", "（星期二）下午14:00", " 10:00-11:00"])
    else:
        time_text = "、".join(_date_cn(d, spaced) for d in dates)
    qa = []
    for k, q in enumerate(rng.sample(QUESTIONS, rng.randint(3, 7)), start=1):
        qa.append(f"{k}、{q}")
        qa.append("答：" + "".join(rng.sample(ANSWERS, rng.randint(2, 4))))
    record_date = dates[-1] + dt.timedelta(days=rng.choice([0, 0, 1, 2]))
    tab = "\t" if rng.random() < 0.4 else ""
    pad = " " * rng.randint(4, 40)
    parts = [
        f"证券代码：{comp.code}{pad}证券简称：{comp.short}",
        comp.full,
        "投资者关系活动记录表",
        f"{' ' * rng.randint(0, 14)}编号：{YEAR}-{1 + i % 97:03d}",
        f"{tab}投资者关系活动类别",
        types_block,
        "",
        f"{tab}{label}",
        value,
        "",
        f"{tab}时间" + ("\n" if tab else " ") + time_text,
        f"{tab}地点" + ("\n" if tab else " ") + rng.choice(PLACES),
        f"{tab}上市公司接待人员姓名",
        "\n".join(f"{t} {p}" for t, p in recep),
        f"{tab}投资者关系活动主要内容介绍",
        "\n".join(qa),
        f"{tab}附件清单（如有）",
        "与会人员名单" if tail else "无",
        f"{tab}日期",
        _date_cn(record_date, spaced),
    ]
    text = "\n".join(parts) + "\n" + (tail + "\n" if tail else "")
    rel = f"records/{day:%Y-%m}/{comp.code}_{1200000000 + i}.txt"
    truth = {"file": rel, "index": i, "layout": layout, "stock_code": comp.code, "short_name": comp.short,
             "company": comp.full, "dates": [d.isoformat() for d in dates], "activity_types": checked,
             "rows": [list(r) for r in rows]}
    return rel, text, truth


def _wrap_english(body: str, width: int) -> str:
    """Wrap a mixed list: CJK part anywhere, the English part at spaces (trailing space kept)."""
    out: list[str] = []
    line = ""
    for tok in body.split(" "):
        cand = (line + " " + tok) if line else tok
        if len(cand) > width and line:
            out.append(line + " ")
            line = tok
        else:
            line = cand
    out.append(line)
    final: list[str] = []
    for ln in out:
        final += _wrap(ln, width) if not any(c.isascii() and c.isalpha() for c in ln) else [ln]
    return "\n".join(final)


# each layout: (world, [(raw, firm)], dates, rng) -> (field value, truth rows, attachment tail, dates)


def _lay_inst_space_persons(world, insts, dates, rng):
    rows, lines = [], []
    with_persons = rng.random() < 0.9
    for raw, f in insts:
        ps = _persons(world, f, rng) if with_persons else []
        lines.append(raw + (" " + "、".join(ps) if ps else ""))
        rows += [(raw, p, f.fid) for p in ps] or [(raw, None, f.fid)]
    return "\n".join(lines), rows, "", dates


def _lay_inst_colon(world, insts, dates, rng):
    rows, lines = [], []
    colon = rng.choice(["：", "："])
    numbered = rng.random() < 0.25
    for k, (raw, f) in enumerate(insts, start=1):
        ps = _persons(world, f, rng)
        lines += _wrap_at_seps((f"{k}、" if numbered else "") + raw + colon, ps, 34)
        rows += [(raw, p, f.fid) for p in ps]
    return "\n".join(lines), rows, "", dates


def _lay_glued(world, insts, dates, rng):
    rows, chunks = [], []
    for raw, f in insts:
        ps = _persons(world, f, rng)
        chunks.append(raw + "、".join(ps))
        rows += [(raw, p, f.fid) for p in ps]
    text = "，".join(chunks) + "。"
    return "\n".join(_wrap(text, rng.randint(26, 36))), rows, "", dates


def _lay_inst_run(world, insts, dates, rng):
    sep = rng.choice(["、", "、", "、 "])
    end = rng.choice(["", "等机构。", "（排名不分先后）", "。", "等"])
    text = sep.join(r for r, _ in insts) + end
    rows = [(r, None, f.fid) for r, f in insts]
    return "\n".join(_wrap(text, rng.randint(30, 40))), rows, "", dates


def _lay_serial_attach(world, insts, dates, rng):
    rows, lines = [], []
    with_persons = rng.random() < 0.85
    lines.append("附件：参会人员名单")
    lines.append("序号 单位 姓名" if with_persons else "序号 机构名称")
    k = 0
    for raw, f in insts:
        ps = _persons(world, f, rng) if with_persons else [None]
        for p in ps:
            k += 1
            lines.append(f"{k} {raw}" + (f" {p}" if p else ""))
            rows.append((raw, p, f.fid))
    n_p = sum(1 for r in rows if r[1])
    value = rng.choice(["具体参与单位及人员见附件", "详见附件",
                        f"{len(insts)}家机构，共{n_p}人（详见附件）" if n_p else "详见附件"])
    return value, rows, "\n".join(lines), dates


def _lay_flat_cells(world, insts, dates, rng):
    rows = []
    cells = ["附件：《与会人员清单》", "\t公司名称", "\t姓名", ""]
    for raw, f in insts:
        ps = _persons(world, f, rng)
        cells += [f"\t{raw}", "\t" + "、".join(ps), ""]
        rows += [(raw, p, f.fid) for p in ps]
    cells.append("注：以上排名不分先后。")
    return "详见附件《与会人员清单》", rows, "\n".join(cells), dates


def _lay_person_first(world, insts, dates, rng):
    rows, lines = [], ["姓名 机构名称"]
    for raw, f in insts:
        for p in _persons(world, f, rng):
            lines.append(f"{p} {raw}")
            rows.append((raw, p, f.fid))
    return "\n".join(lines), rows, "", dates


def _lay_per_date(world, insts, dates, rng):
    k = max(1, len(insts) * 2 // 3) if len(insts) > 1 else 1
    groups = [insts[:k], insts[k:]] if len(insts) > 1 else [insts]
    lines, rows = [], []
    for d, grp in zip(dates, groups, strict=False):
        if not grp:
            continue
        lines.append(_date_cn(d, False))
        lines += _wrap("、".join(r for r, _ in grp) + rng.choice(["", "等机构。", "。"]), 30)
        rows += [(r, None, f.fid) for r, f in grp]
    return "\n".join(lines), rows, "", dates


def _lay_space_persons(world, insts, dates, rng):
    rows, lines = [], []
    for raw, f in insts:
        ps = _persons(world, f, rng)
        lines.append(raw + " " + " ".join(ps))
        rows += [(raw, p, f.fid) for p in ps]
    return "\n".join(lines), rows, "", dates


def _lay_pairs(world, insts, dates, rng):
    rows, pairs = [], []
    for raw, f in insts:
        p = _persons(world, f, rng)[0]
        pairs.append(f"{raw} {p}")
        rows.append((raw, p, f.fid))
    lines = [" ".join(pairs[i:i + 2]) for i in range(0, len(pairs), 2)]
    return "\n".join(lines), rows, "", dates


def _lay_inst_lines(world, insts, dates, rng):
    lines = [f"{k}. {raw}" for k, (raw, _) in enumerate(insts, start=1)]
    return "\n".join(lines), [(r, None, f.fid) for r, f in insts], "", dates


_LAYOUT_FUNCS = {name[5:]: fn for name, fn in dict(globals()).items() if name.startswith("_lay_")}


# ------------------------------------------------------------------------------------------ writing


def generate(out_dir: str | os.PathLike[str], n_records: int = 30000, seed: int = 7, start: int = 0) -> dict:
    """Write records ``start .. start+n_records-1`` and their ``truth.jsonl``; returns a summary."""
    out = Path(out_dir)
    world = make_world(seed)
    made: set[Path] = set()
    n_rows = 0
    names: set[str] = set()
    truth_path = out / "truth.jsonl"
    out.mkdir(parents=True, exist_ok=True)
    with open(truth_path, "w", encoding="utf-8") as tf:
        for i in range(start, start + n_records):
            rel, text, truth = render_record(world, i)
            path = out / rel
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            h = i % 100
            if h < 2:
                data = text.encode("gb18030")
            elif h < 3:
                data = text.replace("\n", "\r\n").encode("utf-8")
            else:
                data = text.encode("utf-8")
            path.write_bytes(data)
            tf.write(json.dumps(truth, ensure_ascii=False) + "\n")
            n_rows += len(truth["rows"])
            names.update(r[0] for r in truth["rows"])
    summary = {"records": n_records, "start": start, "seed": seed, "rows": n_rows, "distinct_names": len(names),
               "institutions": len(world.firms), "companies": len(world.companies)}
    (out / "corpus.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--records", type=int, default=30000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--start", type=int, default=0, help="index of the first record (for incremental batches)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    s = generate(args.out_dir, args.records, args.seed, args.start)
    print(f"{s['records']} records, {s['rows']} attendee rows, {s['distinct_names']} distinct raw names, "
          f"{s['institutions']} institutions, {s['companies']} companies -> {args.out_dir} "
          f"({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
