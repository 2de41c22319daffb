# ruff: noqa: E501
"""Writes the held-out vendor exports and their expected records (run once; outputs are committed).

Each file is written the way a user would save it (pandas ``to_csv`` / ``to_excel``, Excel on
Chinese Windows ...). The expected records come from the survey *truth* below, not from the
rendered cells: one record per (stock, survey date, reception mode), attendee rows in file order,
one row per named person (an institution without a named person gives one row with person null),
duplicated rows kept, generic participants (个人投资者) left out of the comparison.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


@dataclass
class Survey:
    code: str
    name: str
    date: str
    notice: str
    mode: str
    place: str | None
    rece: str | None
    orgs: list[tuple[str, str | None, list[str]]] = field(default_factory=list)  # (institution, type, persons)


def expected(surveys: list[Survey]) -> list[dict]:
    out = []
    for s in surveys:
        rows = []
        for inst, _t, persons in s.orgs:
            if inst == "个人投资者":
                continue
            rows += [[inst, p] for p in persons] if persons else [[inst, None]]
        out.append({"stock_code": s.code, "short_name": s.name, "dates": [s.date], "attendees": rows})
    return out


def write_expected(name: str, payload: dict) -> None:
    text = json.dumps(payload, ensure_ascii=False, indent=1)
    text = re.sub(r"\[\s+(\"[^\"]*\"|null),\s+(\"[^\"]*\"|null)\s+\]", r"[\1, \2]", text)  # one pair a line
    (HERE / f"{name}.expected.json").write_text(text + "\n", "utf-8")


AK_COLS = [
    "序号",
    "代码",
    "名称",
    "最新价",
    "涨跌幅",
    "调研机构",
    "机构类型",
    "调研人员",
    "接待方式",
    "接待人员",
    "接待地点",
    "调研日期",
    "公告日期",
]


def ak_rows(surveys: list[Survey], sep: str = ",", per_person: bool = False, price: float = 10.0) -> list[dict]:
    rows = []
    for s in surveys:
        for inst, typ, persons in s.orgs:
            chunks = [[p] for p in persons] if per_person and persons else [persons]
            for ch in chunks:
                rows.append(
                    {
                        "代码": s.code, "名称": s.name, "最新价": price, "涨跌幅": -1.23,
                        "调研机构": inst, "机构类型": typ, "调研人员": sep.join(ch) if ch else np.nan,
                        "接待方式": s.mode, "接待人员": s.rece if s.rece else np.nan,
                        "接待地点": s.place if s.place else np.nan,
                        "调研日期": dt.date.fromisoformat(s.date), "公告日期": dt.date.fromisoformat(s.notice),
                    }
                )  # fmt: skip
    df = pd.DataFrame(rows)
    df.insert(0, "序号", range(1, len(df) + 1))
    return df


def main() -> None:
    # 1. akshare detail, to_csv(encoding="utf-8-sig") with the index; akshare's sort (notice date
    #    descending); two modes on the same day are two surveys; a duplicated row (two pulls
    #    concatenated) is kept.
    s1 = Survey("688088", "虹软科技", "2024-08-27", "2024-08-29", "特定对象调研", "上海市滨江区公司会议室", "董事会秘书 蒿惠美",
                [("兴业证券股份有限公司", "证券公司", ["陈鑫"]),
                 ("广东正圆私募基金管理有限公司", "阳光私募机构", ["张萍", "吴皓月"]),
                 ("华夏基金管理有限公司", "基金管理公司", ["王海涛", "郑晓辉", "周克平"]),
                 ("华夏基金管理有限公司", "基金管理公司", ["王海涛", "郑晓辉", "周克平"]),
                 ("Macquarie Capital Limited", "海外机构", ["Cherry Ma"]),
                 ("上海重阳投资管理股份有限公司", "阳光私募机构", [])])  # fmt: skip
    s2 = Survey("300750", "宁德时代", "2024-08-26", "2024-08-28", "特定对象调研", "宁德", "董事长 曾毓群,董事会秘书 蒋理",
                [("中信证券股份有限公司", "证券公司", ["刘海博"]), ("易方达基金管理有限公司", "基金管理公司", ["冯波", "萧楠"])])  # fmt: skip
    s3 = Survey("300750", "宁德时代", "2024-08-26", "2024-08-28", "电话会议", None, "董事会秘书 蒋理",
                [("Goldman Sachs (Asia) L.L.C.", "海外机构", ["Jack Lu"]), ("高毅资产管理有限公司", "阳光私募机构", ["邓晓峰"])])  # fmt: skip
    df = ak_rows([s1, s2, s3], sep="、", price=30.12)
    df = df.sort_values(["公告日期", "调研日期", "代码"], ascending=[False, False, True], kind="stable")
    df["序号"] = range(1, len(df) + 1)
    df = df[AK_COLS]
    df.index = range(len(df))
    df.to_csv(HERE / "ak_detail_index_bom.csv", encoding="utf-8-sig")
    write_expected("ak_detail_index_bom", {"records": expected([s1, s2, s3])})

    # 2. Opened and re-saved in Excel on Chinese Windows: GBK, CRLF, leading zeros gone, dates
    #    2024/8/7, sorted by 机构类型 so one survey's rows are not adjacent; persons split by spaces
    #    and full-width commas, missing persons '-' or empty.
    a = Survey("000858", "五粮液", "2024-08-07", "2024-08-09", "特定对象调研", "宜宾", "董事会秘书 蒋文春",
               [("招商证券股份有限公司", "证券公司", ["赵英伟", "刘成"]),
                ("景顺长城基金管理有限公司", "基金管理公司", ["刘彦春"]),
                ("淡水泉(北京)投资管理有限公司", "阳光私募机构", []),
                ("中国人寿资产管理有限公司", "保险公司", ["李明"]),
                ("国泰君安证券股份有限公司", "证券公司", ["訾猛", "陈力宇", "姚世佳"])])  # fmt: skip
    b = Survey("002415", "海康威视", "2024-08-07", "2024-08-10", "业绩说明会", "杭州", "董事会秘书 黄方红",
               [("天弘基金管理有限公司", "基金管理公司", ["肖志刚"]), ("泰康资产管理有限责任公司", "保险公司", [])])  # fmt: skip
    df = ak_rows([a, b], sep=" ", price=128.5)
    df.loc[df["调研机构"].str.startswith("国泰君安"), "调研人员"] = "訾猛，陈力宇，姚世佳"
    df.loc[df["调研机构"].str.startswith("淡水泉"), "调研人员"] = "-"
    df = df.sort_values("机构类型", kind="stable")
    lines = [",".join(AK_COLS)]
    for _, r in df[AK_COLS].iterrows():
        cells = [str(int(r["序号"])), str(int(r["代码"])), r["名称"], "128.5", "-1.23", r["调研机构"], r["机构类型"],
                 "" if pd.isna(r["调研人员"]) else r["调研人员"], r["接待方式"], r["接待人员"], r["接待地点"],
                 f"{r['调研日期'].year}/{r['调研日期'].month}/{r['调研日期'].day}",
                 f"{r['公告日期'].year}/{r['公告日期'].month}/{r['公告日期'].day}"]  # fmt: skip
        lines.append(",".join(cells))
    (HERE / "ak_detail_excel_gbk.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    ea, eb = expected([a, b])
    # sorted by type: each survey's rows in the order they now have in the file
    ea["attendees"], eb["attendees"] = [], []
    for _, r in df.iterrows():
        target = ea if int(r["代码"]) == 858 else eb
        persons = r["调研人员"]
        names = [] if persons in ("-", "") or pd.isna(persons) else persons.replace("，", " ").split()
        target["attendees"] += [[r["调研机构"], p] for p in names] or [[r["调研机构"], None]]
    first = [ea, eb] if int(df.iloc[0]["代码"]) == 858 else [eb, ea]  # records in order of first row
    write_expected("ak_detail_excel_gbk", {"records": first})

    # 3. akshare detail .to_excel() (index column with an empty header, real date cells), one row
    #    per person for one survey, two companies.
    c = Survey("600519", "贵州茅台", "2024-11-05", "2024-11-07", "现场参观", "贵州省仁怀市茅台镇", "董事会秘书 蒋焰",
               [("中金公司", "证券公司", ["王文丹", "陈文博"]), ("富国基金管理有限公司", "基金管理公司", ["朱少醒"]),
                ("个人投资者", "其它", [])])  # fmt: skip
    d = Survey("000001", "平安银行", "2024-11-06", "2024-11-08", "分析师会议", "深圳", "董事会秘书 周强",
               [("摩根士丹利", "海外机构", ["Richard Xu"]), ("长江证券股份有限公司", "证券公司", ["马祥云", "盛悦菲"])])  # fmt: skip
    df = ak_rows([c, d], per_person=True, price=1500.0)[AK_COLS]
    df.to_excel(HERE / "ak_detail.xlsx")
    write_expected("ak_detail", {"records": expected([c, d])})

    # 4. Tushare stk_surv with the content column (multi-line text with commas and quotes), one row
    #    per person, index=False, plain UTF-8; one company on two dates, a Beijing code.
    ts_cols = ["ts_code", "name", "surv_date", "fund_visitors", "rece_place", "rece_mode", "rece_org", "org_type",
               "comp_rece", "content"]  # fmt: skip
    t1 = Survey("000001", "平安银行", "2024-03-15", "", "特定对象调研", "公司会议室", "董事会秘书 周强",
                [("嘉实基金管理有限公司", "基金管理公司", ["归凯", "胡涛"]), ("瑞银证券", "证券公司", ["王维"])])  # fmt: skip
    t2 = Survey("000001", "平安银行", "2024-03-20", "", "电话会议", "线上", "董事会秘书 周强",
                [("兴全基金管理有限公司", "基金管理公司", ["谢治宇"])])  # fmt: skip
    t3 = Survey("832522", "纳科诺尔", "2024-03-18", "", "特定对象调研", "河北省邢台市", "董事长 张学斌",
                [("开源证券股份有限公司", "证券公司", ["诸海滨"]), ("北京泰德圣私募基金管理有限公司", "私募基金", ["吴祥"])])  # fmt: skip
    content = '一、公司介绍\n问：公司"十四五"规划如何？\n答：公司聚焦主业，稳步发展, 谢谢。'

    def ts_rows(surveys: list[Survey], sfx: dict[str, str], per_person: bool = True, sep: str = ",") -> pd.DataFrame:
        rows = []
        for s in surveys:
            for inst, typ, persons in s.orgs:
                chunks = [[p] for p in persons] if per_person and persons else [persons]
                for ch in chunks:
                    rows.append({"ts_code": f"{s.code}.{sfx[s.code]}", "name": s.name, "surv_date": s.date.replace("-", ""),
                                 "fund_visitors": sep.join(ch) if ch else None, "rece_place": s.place, "rece_mode": s.mode,
                                 "rece_org": inst, "org_type": typ, "comp_rece": s.rece, "content": content})  # fmt: skip
        return pd.DataFrame(rows)

    sfx = {"000001": "SZ", "832522": "BJ", "600519": "SH", "688111": "SH", "300059": "SZ"}
    df = ts_rows([t1, t3, t2], sfx)[ts_cols]
    df.to_csv(HERE / "ts_stk_surv_content.csv", index=False)
    write_expected("ts_stk_surv_content", {"records": expected([t1, t3, t2])})

    # 5. Tushare saved with the index, utf-8-sig, sorted by surv_date descending, one row per
    #    institution with several persons in fund_visitors, some missing.
    u1 = Survey("688111", "金山办公", "2024-05-10", "", "特定对象调研", "北京", "董事会秘书 罗亚文",
                [("博时基金管理有限公司", "基金管理公司", ["王晓", "李强"]), ("海通证券股份有限公司", "证券公司", []),
                 ("UBS AG", "外资机构", ["Wang Lei"])])  # fmt: skip
    u2 = Survey("688111", "金山办公", "2024-04-22", "", "业绩说明会", "上证路演中心", None,
                [("国寿安保基金管理有限公司", "基金管理公司", ["张琦"]), ("鹏华基金管理有限公司", "基金管理公司", ["王宗合", "闫思倩"])])  # fmt: skip
    df = ts_rows([u2, u1], sfx, per_person=False)[ts_cols[:-1]]
    df = df.sort_values("surv_date", ascending=False, kind="stable").reset_index(drop=True)
    df.to_csv(HERE / "ts_stk_surv_desc_index.csv", encoding="utf-8-sig")
    write_expected("ts_stk_surv_desc_index", {"records": expected([u1, u2])})

    # 6. A user pipeline found in public code: df["code"] = ts_code.split(".")[0]; ts_code dropped.
    v = Survey("300059", "东方财富", "2024-06-12", "", "特定对象调研", "上海", "董事会秘书 何娜",
               [("华泰证券股份有限公司", "证券公司", ["沈娟"]), ("南方基金管理股份有限公司", "基金管理公司", ["茅炜"])])  # fmt: skip
    df = ts_rows([v], sfx)[ts_cols[:-1]]
    df["code"] = df["ts_code"].str.split(".").str[0]
    df = df.drop(columns=["ts_code"])
    df.to_csv(HERE / "ts_code_column.csv", index=False)
    write_expected("ts_code_column", {"records": expected([v])})

    # 7. The raw Eastmoney datacenter API (RPT_ORG_SURVEY) saved without akshare's renaming.
    w = Survey("002594", "比亚迪", "2024-09-03", "2024-09-05", "特定对象调研", "深圳", "董事会秘书 李黔",
               [("中信建投证券股份有限公司", "证券公司", ["程似骐", "陶亦然"]), ("汇添富基金管理股份有限公司", "基金管理公司", ["胡昕炜"]),
                ("JPMorgan Asset Management", "外资机构", [])])  # fmt: skip
    rows = []
    for inst, typ, persons in w.orgs:
        rows.append({"SECUCODE": "002594.SZ", "SECURITY_CODE": w.code, "SECURITY_NAME_ABBR": w.name,
                     "NOTICE_DATE": w.notice + " 00:00:00", "RECEIVE_START_DATE": w.date + " 00:00:00",
                     "RECEIVE_OBJECT": inst, "RECEIVE_PLACE": w.place, "RECEIVE_WAY_EXPLAIN": w.mode,
                     "INVESTIGATORS": ",".join(persons) if persons else None, "RECEPTIONIST": w.rece, "ORG_TYPE": typ})  # fmt: skip
    pd.DataFrame(rows).to_csv(HERE / "em_api_raw.csv", index=False)
    write_expected("em_api_raw", {"records": expected([w])})

    # 8. Renamed Chinese headers (证券代码/证券简称 …) with extra columns, code as 600036.SH.
    x = Survey("600036", "招商银行", "2024-10-30", "2024-11-01", "分析师会议", "深圳", "董事会秘书 彭家文",
               [("申万宏源证券有限公司", "证券公司", ["郑庆明"]), ("工银瑞信基金管理有限公司", "基金管理公司", ["杜洋", "袁芳"])])  # fmt: skip
    df = ak_rows([x], sep=",", price=37.2)
    df = df.rename(columns={"代码": "证券代码", "名称": "证券简称", "调研机构": "机构名称", "调研人员": "参与人员"})
    df["证券代码"] = df["证券代码"] + ".SH"
    df["所属行业"] = "银行"
    df["总市值(亿)"] = 9388.2
    df = df[["证券代码", "证券简称", "调研日期", "机构名称", "机构类型", "参与人员", "接待方式", "接待人员", "接待地点",
             "公告日期", "最新价", "涨跌幅", "所属行业", "总市值(亿)"]]  # fmt: skip
    df.to_csv(HERE / "renamed_extra_columns.csv", index=False, encoding="utf-8-sig")
    write_expected("renamed_extra_columns", {"records": expected([x])})

    # 9. A huge meeting: 150 institutions, 0-3 persons each, mixed separators.
    fam = ["华夏", "易方达", "嘉实", "南方", "博时", "广发", "汇添富", "富国", "招商", "工银瑞信"]
    kinds = [("基金管理有限公司", "基金管理公司"), ("证券股份有限公司", "证券公司"), ("资产管理有限公司", "保险资管"),
             ("私募基金管理有限公司", "阳光私募机构"), ("投资管理有限公司", "投资公司")]  # fmt: skip
    sur = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    giv = ["伟", "芳", "娜", "敏", "静", "丽强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超"]
    orgs = []
    k = 0
    for i in range(150):
        inst = f"{fam[i % 10]}{['', '第二', '第三', '第四', '第五', '第六', '第七', '第八', '第九', '第十', '十一', '十二', '十三', '十四', '十五'][i // 10]}{kinds[i % 5][0]}"
        n = i % 4
        persons = []
        for _ in range(n):
            persons.append(sur[k % 20] + giv[(k * 7) % 16])
            k += 1
        orgs.append((inst, kinds[i % 5][1], persons))
    y = Survey("300308", "中际旭创", "2024-08-21", "2024-08-23", "电话会议", "线上会议", "董事会秘书 王军", orgs)
    df = ak_rows([y], sep="、", price=140.0)
    seps = ["、", ",", "，", " "]
    df["调研人员"] = [np.nan if not o[2] else seps[j % 4].join(o[2]) for j, o in enumerate(orgs)]
    df[AK_COLS].to_csv(HERE / "ak_detail_huge.csv", index=False, encoding="utf-8-sig")
    write_expected("ak_detail_huge", {"records": expected([y])})

    # 10. The summary table stock_jgdy_tj_em .to_excel(): counts, no names.
    tj = pd.DataFrame(
        [[1, "300308", "中际旭创", 140.0, 2.1, 150, "电话会议", "董事会秘书 王军", "线上会议", dt.date(2024, 8, 21), dt.date(2024, 8, 23)],
         [2, "688088", "虹软科技", 30.12, -0.5, 6, "特定对象调研", "董事会秘书 蒿惠美", "上海", dt.date(2024, 8, 27), dt.date(2024, 8, 29)]],
        columns=["序号", "代码", "名称", "最新价", "涨跌幅", "接待机构数量", "接待方式", "接待人员", "接待地点", "接待日期", "公告日期"],
    )  # fmt: skip
    tj.to_excel(HERE / "ak_tj_summary.xlsx")
    write_expected("ak_tj_summary", {"records": [
        {"stock_code": "300308", "short_name": "中际旭创", "dates": ["2024-08-21"], "attendees": [], "declared_institutions": 150},
        {"stock_code": "688088", "short_name": "虹软科技", "dates": ["2024-08-27"], "attendees": [], "declared_institutions": 6},
    ]})  # fmt: skip

    # 11. Not a survey table: akshare's spot quotes (shares 代码/名称/最新价/涨跌幅 with the survey table).
    spot = pd.DataFrame(
        [[1, "688088", "虹软科技", 30.12, 1.25, 0.37, 51234, 1.5e8, 3.2, 30.5, 29.4, 29.8, 29.75, 1.1, 2.3, 88.1, 5.2, 1.2e10, 1.2e10, 0.1, 0.05, 12.3, 20.1],
         [2, "000001", "平安银行", 11.2, -0.3, -0.03, 812345, 9.1e8, 1.1, 11.3, 11.1, 11.25, 11.23, 0.9, 0.4, 4.5, 0.5, 2.2e11, 2.2e11, 0.0, 0.0, 3.1, 8.2]],
        columns=["序号", "代码", "名称", "最新价", "涨跌幅", "涨跌额", "成交量", "成交额", "振幅", "最高", "最低", "今开", "昨收", "量比", "换手率",
                 "市盈率-动态", "市净率", "总市值", "流通市值", "涨速", "5分钟涨跌", "60日涨跌幅", "年初至今涨跌幅"],
    )  # fmt: skip
    spot.to_csv(HERE / "spot_prices.csv", index=False, encoding="utf-8-sig")
    write_expected("spot_prices", {"error": True})

    # 12. akshare's empty result (pd.DataFrame(columns=output_columns)) saved: headers only.
    pd.DataFrame(columns=AK_COLS).to_csv(HERE / "ak_detail_empty.csv", index=False, encoding="utf-8-sig")
    write_expected("ak_detail_empty", {"error": True})

    # 13. Tushare CSV read back with pandas and saved as XLSX: surv_date became an integer,
    #     missing persons NaN, no content column.
    z1 = Survey("600519", "贵州茅台", "2024-04-03", "", "特定对象调研", "茅台镇", "董事会秘书 蒋焰",
                [("国投瑞银基金管理有限公司", "基金管理公司", ["綦缚鹏"]), ("东吴证券股份有限公司", "证券公司", []),
                 ("BlackRock", "外资机构", ["Helen Zhu"])])  # fmt: skip
    z2 = Survey("000001", "平安银行", "2024-04-03", "", "特定对象调研", "深圳", None,
                [("中欧基金管理有限公司", "基金管理公司", ["葛兰"])])  # fmt: skip
    df = ts_rows([z1, z2], sfx)[ts_cols[:-1]]
    df["surv_date"] = df["surv_date"].astype(int)
    df.to_excel(HERE / "ts_from_csv.xlsx", index=False)
    write_expected("ts_from_csv", {"records": expected([z1, z2])})


if __name__ == "__main__":
    main()
