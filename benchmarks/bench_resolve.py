"""Benchmark the resolver on 40,000 distinct raw names (run on demand, not part of the test suite).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_resolve.py [--n 40000] [--seed 7]

Names are generated deterministically: every registry name with realistic variants (legal suffix
dropped / added, desk and branch suffixes, traditional characters, spacing, full-width brackets,
look-alike typos, dropped characters) plus thousands of synthetic private funds and investment
companies (上海XX私募基金管理有限公司 and its short forms).  Every generated name carries the id of
the entity it was generated from, so pairwise precision and recall can be measured.  Prints wall
time, names/s, peak RSS and P/R (and how many names went to review).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections import Counter

from irgraph.normalize import analyze_name, load_rules
from irgraph.registry import load_registry
from irgraph.resolve import resolve

CITIES = ["上海", "北京", "深圳", "杭州", "广州", "宁波", "南京", "苏州", "厦门", "成都", "珠海", "青岛", "武汉",
          "西安", "长沙", "天津", "重庆", "合肥", "福州", "济南"]
# characters for synthetic brands (字号); real brands are two or three of these
BRAND_CHARS = ("泓翼澜岳蓝沣禾岩榕桐霁砚朴琢衡鹤峰溪泽汐瀚澄鼎弘睿曜昊铭晟乾坤元泰嘉谦恒诚朗明远途"
               "景川山海星辰宸瑞祥安和悦涵润清源聚宏盈鑫富丰茂隆启航正道合智德信勤毅达锦")
KINDS = [  # (legal form, short forms) of a synthetic firm; all variants of a firm are one entity
    ("私募基金管理有限公司", ["私募基金", "私募", "私募基金管理"]),
    ("投资管理有限公司", ["投资", "投资管理"]),
    ("资产管理有限公司", ["资产", "资产管理"]),
    ("投资有限公司", ["投资"]),
    ("私募证券投资基金管理有限公司", ["私募", "私募基金"]),
    ("创业投资有限公司", ["创业投资", "创投"]),
]
DESKS = ["自营", "研究所", "自营部", "上海分公司", "深圳分公司", "固定收益部"]


def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def registry_variants(reg, rng: random.Random) -> dict[str, str]:
    """Raw variants of registry names -> institution id (only names that denote one entity)."""
    conv = _s2t()
    confusable = {}
    for pair in load_rules().confusables:
        a, b = sorted(pair)
        confusable[a], confusable[b] = b, a
    out: dict[str, str] = {}

    def add(name: str, iid: str) -> None:
        if name and name not in out:
            out[name] = iid

    for iid in sorted(reg.institutions):
        inst = reg.institutions[iid]
        names = [n for n in reg.names_of(iid) if reg.lookup_name(n) == (iid,)]
        for n in names:
            add(n, iid)
            info = analyze_name(n)
            if info.english:
                add(n.upper(), iid)
                add(n + " Ltd", iid)
                continue
            add(conv.convert(n), iid)
            add(n.replace("(", "（").replace(")", "）"), iid)
            if len(n) >= 4:
                add(n[:2] + " " + n[2:], iid)
            if not info.legal:
                add(n + "有限公司", iid)
                add(n + "股份有限公司", iid)
            if inst.type == "证券公司" and info.tails == ("证券",) and not info.quals:
                add(n + rng.choice(DESKS), iid)
            if len(info.brand) >= 4:
                chars = [i for i, c in enumerate(info.brand) if c in confusable]
                if chars:  # a look-alike typo in the brand
                    i = rng.choice(chars)
                    typo = info.brand[:i] + confusable[info.brand[i]] + info.brand[i + 1 :]
                    add(n.replace(info.brand, typo, 1), iid)
            if len(info.brand) >= 5 and rng.random() < 0.3:  # a dropped character (should not merge)
                i = rng.randrange(1, len(info.brand) - 1)
                add(n.replace(info.brand, info.brand[:i] + info.brand[i + 1 :], 1), iid)
    return out


def synthetic_variants(n_target: int, taken: set[str], rng: random.Random) -> dict[str, str]:
    """Synthetic private funds / investment companies with their short forms."""
    out: dict[str, str] = {}
    brands_used: set[str] = set()
    firm = 0
    while len(out) < n_target:
        size = 2 if rng.random() < 0.6 else 3
        brand = "".join(rng.choice(BRAND_CHARS) for _ in range(size))
        if brand in brands_used or len(set(brand)) < size:
            continue
        brands_used.add(brand)
        city = rng.choice(CITIES)
        legal, shorts = rng.choice(KINDS)
        firm += 1
        truth = f"syn-{firm:05d}"
        regional = [city + brand + legal, city + brand + rng.choice(shorts), f"{brand}({city}){legal}",
                    city + "市" + brand + legal]
        bare = [brand + legal, brand + rng.choice(shorts)]
        # some brands also exist in another city as a different firm: then a name without its city
        # is ambiguous (no truth), so only regional names are generated for both
        twin = rng.random() < 0.05
        variants = regional if twin else regional + bare
        for v in rng.sample(variants, k=rng.randint(2, 4)):
            if v not in taken and v not in out:
                out[v] = truth
        if twin:
            other = rng.choice([c for c in CITIES if c != city])
            firm += 1
            for v in (other + brand + legal, f"{brand}({other}){legal}"):
                if v not in taken and v not in out:
                    out[v] = f"syn-{firm:05d}"
    return out


def pairs(counter: Counter) -> int:
    return sum(c * (c - 1) // 2 for c in counter.values())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=40000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    reg = load_registry()
    truth = registry_variants(reg, rng)
    truth.update(synthetic_variants(args.n - len(truth), set(truth), rng))
    names = sorted(truth)[: args.n]
    rng.shuffle(names)
    print(f"{len(names)} distinct names ({sum(t.startswith('syn-') for t in truth.values())} synthetic), "
          f"registry {len(reg)} entries")

    t0 = time.perf_counter()
    res = resolve(names, registry=reg)
    wall = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    pred = Counter(res[n].institution_id for n in names)
    gold = Counter(truth[n] for n in names)
    both = Counter((res[n].institution_id, truth[n]) for n in names)
    tp, pp, gp = pairs(both), pairs(pred), pairs(gold)
    precision = tp / pp if pp else 1.0
    recall = tp / gp if gp else 1.0
    reg_ok = sum(res[n].institution_id == truth[n] for n in names if not truth[n].startswith("syn-"))
    reg_n = sum(not truth[n].startswith("syn-") for n in names)
    methods = Counter(res[n].method for n in names)
    print(f"wall {wall:.2f} s, {len(names) / wall:,.0f} names/s, peak RSS {rss_mb:,.0f} MB")
    print(f"pairwise precision {precision:.4f} recall {recall:.4f} (tp={tp} predicted={pp} gold={gp})")
    print(f"registry variants resolved to their entity: {reg_ok}/{reg_n} ({reg_ok / max(1, reg_n):.3f})")
    print(f"review items: {len(res.review)}; methods: {dict(sorted(methods.items()))}")
    wrong = [(n, res[n].institution_id, truth[n]) for n in names
             if not truth[n].startswith("syn-") and res[n].institution_id in reg.institutions
             and res[n].institution_id != truth[n]]
    for w in wrong[:10]:
        print("  wrong registry match:", *w)
    return 0


if __name__ == "__main__":
    sys.exit(main())
