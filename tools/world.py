"""Benchmark worlds: many notices, certificates and rules, written as notice packages (docs/notice-format.md).

A world is what the platform may hold in a few years: 人社厅发〔2026〕1号 as shipped, more national notices
naming more certificates, and provincial notices, each for its own province, a third of whose rows replace
national rows; several provinces replace the same national rows (each in its own region, so no two
replacements of one row overlap). Rules waive some of a target's steps and keep the others, carry
conditions, and cite a clause of their notice whose text holds the sentence quoted. Every name is made up
from a fixed seed; every notice says it is benchmark data.

    tools/world.py --world M                  # write bench/worlds/M-2026/*.json and world.json
    tools/world.py --world M --load           # ... and load them, timed, into DATABASE_URL, else DIR/db.sqlite3

World (counts include today's data): S (tests) 4 notices, 12 certificates, 40 rules, 12 level equivalences;
M 13, 40, 607, 40; L 40, 150, 5,007, 150. `world.json` lists the packages in the order they load, the
counts, every replacement and the regions the benchmark's mix asks about.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = json.loads((ROOT / "fixtures" / "notices" / "rstf-2026-1.json").read_text(encoding="utf-8"))
BASE_NUMBER = BASE["notice"]["number"]
PROVINCES = [
    (row["fields"]["code"], row["fields"]["name"])
    for row in json.loads((ROOT / "fixtures" / "reference.json").read_text(encoding="utf-8"))
    if row["model"] == "recognition.province"
]
ABBREVIATIONS = dict(
    zip(
        [code for code, _ in PROVINCES], "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川黔滇藏陕甘青宁新兵", strict=True
    )
)
LEVELS = {
    5: ("五级", "初级工"),
    4: ("四级", "中级工"),
    3: ("三级", "高级工"),
    2: ("二级", "技师"),
    1: ("一级", "高级技师"),
}
MARK = "基准测试数据,由 tools/world.py 生成,并非真实通知"


@dataclass(frozen=True)
class Shape:
    national: int  # national notices besides 1号
    provinces: int  # provincial notices, one province each
    certificates: int  # in all, 1号's six included
    rules: int  # in all, 1号's seven included
    levels: int  # in all, 1号's six included
    province_rows: int  # rules per provincial notice, a third of them replacing national rules
    level_pool: int  # national level equivalences replaced, each by up to three provinces


WORLDS = {
    "S": Shape(national=1, provinces=2, certificates=12, rules=40, levels=12, province_rows=6, level_pool=1),
    "M": Shape(national=2, provinces=10, certificates=40, rules=607, levels=40, province_rows=30, level_pool=2),
    "L": Shape(national=9, provinces=30, certificates=150, rules=5007, levels=150, province_rows=100, level_pool=8),
}
REPLACING = 3  # provinces replacing each pooled row, on average

# Kinds of work, each made a certificate by one or more departments: (slug part, name, occupation).
WORK = [
    *[(slug, name, "电工") for slug, name in [
        ("power-cable", "电力电缆作业"), ("relay", "继电保护作业"), ("el-test", "电气试验作业"),
        ("ex-proof", "防爆电气作业"), ("substation", "变电运维作业"), ("distribution", "配电运维作业"),
        ("pv", "光伏电站运维作业"), ("charging", "充电设施安装作业"), ("lift-el", "电梯电气安装作业"),
        ("smart-bldg", "智能建筑安装作业"), ("hv-test", "高压试验作业"), ("live-line", "带电作业"),
        ("metering", "电能计量装接作业"), ("wind", "风电场运维作业"), ("storage", "储能电站运维作业"),
        ("rail-el", "轨道交通供电作业"), ("mine-el", "矿山电气作业"), ("temp-power", "施工临时用电作业"),
        ("motor", "电机检修作业"), ("lighting", "城市照明作业"),
    ]],
    *[(slug, name, "焊工") for slug, name in [
        ("pressure-weld", "压力焊作业"), ("braze", "钎焊作业"), ("gas-weld", "气焊与气割作业"),
        ("pipe-weld", "管道焊接作业"), ("steel-weld", "钢结构焊接作业"), ("boiler-weld", "锅炉焊接作业"),
        ("vessel-weld", "压力容器焊接作业"), ("underwater", "水下焊接与切割作业"), ("robot-weld", "焊接机器人操作"),
        ("spray", "热喷涂作业"), ("plasma", "等离子切割作业"), ("tig", "氩弧焊作业"),
        ("co2-weld", "二氧化碳气体保护焊作业"), ("stud-weld", "螺柱焊作业"), ("laser-weld", "激光焊接作业"),
        ("rail-weld", "钢轨焊接作业"), ("ship-weld", "船舶焊接作业"), ("alu-weld", "铝合金焊接作业"),
        ("repair-weld", "设备补焊作业"), ("bridge-weld", "桥梁钢结构焊接作业"),
    ]],
]  # fmt: skip
DEPARTMENTS = {  # department: (slug prefix, family, name, short name, steps)
    "应急管理部门": ("em", "特种作业操作证({occupation}类)", "{work}特种作业操作证", "{work}操作证",
                     [("安全技术培训", "training", ""), ("安全技术理论考试", "exam", "安全技术考试"),
                      ("安全技术实操考试", "exam", "安全技术考试")]),
    "住房城乡建设部门": ("hc", "建筑施工特种作业操作资格证书", "建筑施工{work}特种作业操作证", "建筑{work}证",
                         [("安全作业培训", "training", ""), ("安全技术理论考核", "exam", "考核"),
                          ("安全操作技能考核", "exam", "考核")]),
    "市场监管部门": ("mr", "特种设备作业人员证", "特种设备{work}人员证书", "特种设备{work}证",
                     [("理论知识考试", "exam", ""), ("实际操作技能考试", "exam", ""),
                      ("动火作业安全管理考试", "exam", "")]),
}  # fmt: skip
PROVINCIAL = ("省级岗位能力证书", "{province}{work}岗位能力证书", "{abbr}{work}岗位证",
              [("岗位培训", "training", ""), ("岗位理论考核", "exam", "岗位考核"),
               ("岗位实操考核", "exam", "岗位考核")])  # fmt: skip
MORE_CONDITIONS = ["所持证书在有效期内且按期复审合格", "申请前从事相应作业满一年", "近三年内无违章作业记录"]


@dataclass
class Cert:
    slug: str
    name: str
    short_name: str
    department: str
    occupation: str
    steps: list[str]
    data: dict | None = None  # the package's certificate entry; None for 1号's own
    level: int = 5  # the level a national level equivalence deems it


@dataclass
class Notice:
    number: str
    slug: str
    title: str
    short_title: str
    issuers: list[str]
    issued_on: datetime.date
    in_force_from: datetime.date
    scope: list[str] = field(default_factory=list)
    certificates: list[Cert] = field(default_factory=list)
    rules: list[dict] = field(default_factory=list)  # with "_clause" (the group it is written under) until written
    levels: list[dict] = field(default_factory=list)


def chinese(n: int) -> str:
    """1 -> 一, 12 -> 十二, 23 -> 二十三 (the numbering of clauses; below 100)."""
    digits = "一二三四五六七八九"
    tens, units = divmod(n, 10)
    return (f"{digits[tens - 1] if tens > 1 else ''}十" if tens else "") + (digits[units - 1] if units else "")


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def base_certificates() -> dict[str, Cert]:
    return {
        c["slug"]: Cert(c["slug"], c["name"], c["short_name"], c["department"], c["occupation"],
                        [s["name"] for s in c["steps"]], level={"high-voltage-electrician": 4,
                                                                 "special-equipment-welder": 4}.get(c["slug"], 5))
        for c in BASE["certificates"]
    }  # fmt: skip


def make_cert(slug, name, short, department, family, occupation, steps, order, note, rng) -> Cert:
    steps = list(steps)
    if rng.random() < 0.2:  # some certificates ask for a practice period before the exams
        steps.insert(1, ("岗前实习", "training", ""))
    data = {
        "slug": slug,
        "name": name,
        "short_name": short[:40],
        "department": department,
        "family": family,
        "occupation": occupation,
        "everyday_names": [short[:20], f"{occupation}证"],
        "issuance_note": note,
        "order": order,
        "steps": [{"name": n, "kind": k, "part_of": p, "order": 10 * (i + 1)} for i, (n, k, p) in enumerate(steps)],
    }
    level = 4 if rng.random() < 0.2 else 5
    return Cert(slug, name, short[:40], department, occupation, [s[0] for s in steps], data, level)


def national_certificates(count: int, rng: random.Random) -> list[Cert]:
    kinds = [(dept, work) for work in WORK for dept in DEPARTMENTS]
    rng.shuffle(kinds)
    if count > len(kinds):
        raise SystemExit(f"at most {len(kinds)} national certificates can be named")
    certs = []
    for index, (dept, (slug, work, occupation)) in enumerate(kinds[:count]):
        prefix, family, name, short, steps = DEPARTMENTS[dept]
        if dept == "市场监管部门" and occupation == "电工":
            steps = steps[:2]  # 动火作业安全管理 is a welder's exam
        certs.append(make_cert(f"{prefix}-{slug}", name.format(work=work), short.format(work=work), dept,
                               family.format(occupation=occupation), occupation, steps, 100 + 10 * index,
                               "基准测试数据", rng))  # fmt: skip
    return certs


def provincial_certificate(code: str, province: str, index: int, rng: random.Random) -> Cert:
    slug, work, occupation = rng.choice(WORK)
    family, name, short, steps = PROVINCIAL
    return make_cert(f"p{code}-{slug}", name.format(province=province, work=work),
                     short.format(abbr=ABBREVIATIONS[code], work=work), "住房城乡建设部门", family, occupation, steps,
                     2000 + 10 * index, f"仅{province}颁发(基准测试数据)", rng)  # fmt: skip


def waivers(target: Cert, rng: random.Random) -> tuple[list[str], list[str]]:
    """Some of the target's steps waived, the rest still taken (always at least one of each)."""
    steps = target.steps
    roll = rng.random()
    if roll < 0.55:
        cut = 1  # the training
    elif roll < 0.85:
        cut = len(steps) - 1  # everything but the last exam
    else:
        chosen = rng.randrange(len(steps))
        return [steps[chosen]], [s for i, s in enumerate(steps) if i != chosen]
    return steps[:cut], steps[cut:]


def and_list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{'、'.join(names[:-1])}和{names[-1]}"


def sentence(held: Cert, target: Cert, waived: list[str], remaining: list[str], where: str = "") -> str:
    return (
        f"取得{held.department}颁发的合法有效的{held.name}的人员,{where or '在'}申请{target.department}{target.name}时,"
        f"可免予{and_list(waived)},直接参加{'、'.join(remaining)}。"
    )


def conditions(held: Cert, target: Cert, rng: random.Random, province: str = "") -> list:
    found: list = [f"所持{held.name}是{held.department}颁发的合法有效证书"]
    if rng.random() < 0.2:
        found.append(rng.choice(MORE_CONDITIONS))
    if province and rng.random() < 0.3:
        found.append(f"在{province}行政区域内从业或申请")
    if target.department == "住房城乡建设部门" and rng.random() < 0.1:
        found.append({"text": f"申请地区的住房城乡建设主管部门颁发{target.name}", "kind": "target-issued-in-region"})
    return found


def rule(held: Cert, target: Cert, rng: random.Random, *, province: str = "", replaces: dict | None = None) -> dict:
    waived, remaining = waivers(target, rng)
    where = f"在{province}" if province else ""
    row = {
        "held": held.slug,
        "target": target.slug,
        "apply_to": target.department,
        "waived": waived,
        "remaining": remaining,
        "conditions": conditions(held, target, rng, province),
        "quote": sentence(held, target, waived, remaining, where),
        "_clause": target.occupation,
        "_target": target.short_name,
    }
    if replaces:
        row["replaces"] = replaces
    return row


def level(cert: Cert, deemed: int, *, replaces: dict | None = None) -> dict:
    (label, title), (next_label, next_title) = LEVELS[deemed], LEVELS[deemed - 1]
    quote = (
        f"取得{cert.name}的,视同达到{cert.occupation}{title}({label})水平,"
        f"可按规定报名参加{cert.occupation}{next_title}({next_label})技能等级认定。"
    )
    row = {"held": cert.slug, "occupation": cert.occupation, "deemed_level": deemed, "eligible_level": deemed - 1,
           "quote": quote}  # fmt: skip
    if replaces:
        row["replaces"] = replaces
    return row


def pick_pairs(certs: list[Cert], count: int, taken: set, rng: random.Random, first: list[Cert]) -> list:
    """`count` new (held, target) pairs, most within one occupation; each of `first` held and aimed at once."""
    chosen: list[tuple[Cert, Cert]] = []

    def take(held: Cert, target: Cert) -> bool:
        key = (held.slug, target.slug)
        if held is target or key in taken or len(chosen) >= count:
            return False
        taken.add(key)
        chosen.append((held, target))
        return True

    for cert in first:
        kin = [c for c in certs if c.occupation == cert.occupation and c is not cert] or certs
        any(take(cert, rng.choice(kin)) for _ in range(20))
        any(take(rng.choice(kin), cert) for _ in range(20))
    for _ in range(200 * count):
        if len(chosen) >= count:
            return chosen
        held, target = rng.choice(certs), rng.choice(certs)
        if held.occupation == target.occupation or rng.random() < 0.25:  # most rules stay within an occupation
            take(held, target)
    raise SystemExit(f"found {len(chosen)} free pairs for {count} rules: too many rules for the certificates")


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (i < total % parts) for i in range(parts)]


def national_notices(shape: Shape, rng: random.Random, certs: dict[str, Cert], taken: set) -> list[Notice]:
    new_rules = shape.rules - len(BASE["rules"]) - shape.provinces * shape.province_rows
    new_certs = national_certificates(shape.certificates - len(certs) - shape.provinces, rng)
    numbers = sorted(rng.sample(range(2, 100), shape.national))
    replaced_levels = shape.level_pool * min(REPLACING, shape.provinces)
    unlevelled = set(rng.sample([c.slug for c in new_certs], shape.certificates + replaced_levels - shape.levels))
    notices, start = [], 0
    for index, (rules, cert_count) in enumerate(zip(split(new_rules, shape.national),
                                                    split(len(new_certs), shape.national), strict=True)):  # fmt: skip
        issued = day("2026-02-01") + datetime.timedelta(days=150 * index // shape.national)
        notice = Notice(
            number=f"人社厅发〔2026〕{numbers[index]}号",
            slug=f"rstf-2026-{numbers[index]}",
            title=f"关于进一步扩大职业技能证书互通互认范围的通知(第{chinese(index + 1)}批,基准测试数据)",
            short_title=f"扩大互通互认范围的通知(第{chinese(index + 1)}批)",
            issuers=BASE["notice"]["issuers"],
            issued_on=issued,
            in_force_from=issued + datetime.timedelta(days=15),
            certificates=new_certs[start : start + cert_count],
        )
        start += cert_count
        certs.update({c.slug: c for c in notice.certificates})
        for held, target in pick_pairs(list(certs.values()), rules, taken, rng, notice.certificates):
            row = rule(held, target, rng)
            if rng.random() < 0.06:
                row["valid_until"] = "2027-06-30"  # a trial period
            elif rng.random() < 0.04:
                row["valid_from"] = "2027-01-01"  # a later start
            notice.rules.append(row)
        notice.levels = [level(c, c.level) for c in notice.certificates if c.slug not in unlevelled]
        write_clauses(notice, NATIONAL_SECTIONS)
        notices.append(notice)
    return notices


def provincial_notices(shape: Shape, rng: random.Random, certs: dict[str, Cert], taken: set,
                       nationals: list[Notice]) -> tuple[list[Notice], dict]:  # fmt: skip
    """Each province's notice: a third of its rows replace pooled national rows, the rest are its own."""
    codes = rng.sample(PROVINCES, shape.provinces)
    replacing = shape.province_rows // 3
    national = [(BASE_NUMBER, r["serial"], r["held"], r["target"]) for r in BASE["rules"]]
    for notice in nationals:
        national += [(notice.number, r["serial"], r["held"], r["target"]) for r in notice.rules
                     if "valid_from" not in r]  # fmt: skip
    pool_size = min(len(national), max(replacing, math.ceil(shape.provinces * replacing / REPLACING)))
    pool = rng.sample(national, pool_size)
    level_rows = [(BASE_NUMBER, lv["held"], lv["occupation"]) for lv in BASE["levels"]]
    level_rows += [(n.number, lv["held"], lv["occupation"]) for n in nationals for lv in n.levels]
    level_pool = rng.sample(level_rows, shape.level_pool)
    level_replacers = {row: rng.sample(range(shape.provinces), min(REPLACING, shape.provinces)) for row in level_pool}
    notices = []
    for index, (code, province) in enumerate(codes):
        issued = day("2026-07-01") + datetime.timedelta(days=105 * index // shape.provinces)
        n = rng.randrange(10, 90)
        notice = Notice(
            number=f"{ABBREVIATIONS[code]}人社发〔2026〕{n}号",
            slug=f"p{code}-2026-{n}",
            title=f"{province}人力资源和社会保障厅关于贯彻落实职业技能证书互通互认工作的通知(基准测试数据)",
            short_title=f"{province}贯彻落实互通互认的通知",
            issuers=[f"{province}人力资源和社会保障厅"],
            issued_on=issued,
            in_force_from=issued + datetime.timedelta(days=15),
            scope=[code],
            certificates=[provincial_certificate(code, province, index, rng)],
        )
        own_cert = notice.certificates[0]
        for number, serial, held, target in rng.sample(pool, replacing):
            notice.rules.append(rule(certs[held], certs[target], rng, province=province,
                                     replaces={"notice": number, "serial": serial}))  # fmt: skip
        local = [*certs.values(), own_cert]
        mine = set(taken) | {(r["held"], r["target"]) for r in notice.rules}
        for held, target in pick_pairs(local, shape.province_rows - replacing, mine, rng, [own_cert]):
            row = rule(held, target, rng, province=province)
            if rng.random() < 0.05:
                row["valid_from"] = "2027-01-15"  # announced, not yet in force
            notice.rules.append(row)
        notice.levels.append(level(own_cert, own_cert.level))
        for number, held, occupation in level_pool:
            if index in level_replacers[(number, held, occupation)]:
                deemed = max(2, certs[held].level - 1)  # the province deems it a level higher
                notice.levels.append(level(certs[held], deemed, replaces={"notice": number, "held": held,
                                                                           "occupation": occupation}))  # fmt: skip
        write_clauses(notice, PROVINCIAL_SECTIONS)
        notices.append(notice)
    return notices, pool


# Sections of a notice: (numbering, heading, which rules go under it, text of a section without rules).
NATIONAL_SECTIONS = [
    ("一、", "扩大电工类职业资格证书互通互认范围", "电工", ""),
    ("二、", "扩大焊工类职业资格证书互通互认范围", "焊工", ""),
    ("三、", "实施职业技能证书比照认定", "levels", ""),
    ("四、", "组织实施", None, "各地要按照本通知要求,结合实际抓好落实,及时向社会公布互认事项和办理渠道。"),
]
PROVINCIAL_SECTIONS = [
    ("一、", "调整部分证书互认事项", "replaces", ""),
    ("二、", "扩大本省证书互认范围", "own", ""),
    ("三、", "比照认定", "levels", ""),
    ("四、", "工作要求", None, "各地要做好政策宣传和经办服务,执行中遇到的问题请及时报告省人力资源社会保障厅。"),
]


def section_of(row: dict, key: str) -> bool:
    if key == "replaces":
        return "replaces" in row
    if key == "own":
        return "replaces" not in row
    return row["_clause"] == key


def write_clauses(notice: Notice, sections: list) -> None:
    """The notice's clauses, its rules numbered in reading order, each citing the item that quotes it."""
    clauses = [{"anchor": "preamble", "level": 1, "numbering": "", "heading": "",
                "text": f"为贯彻落实{BASE_NUMBER}关于逐步扩大职业技能证书互通互认覆盖范围的要求,进一步减轻劳动者"
                        f"取证负担,现就有关事项通知如下。({MARK})"}]  # fmt: skip
    serial, rules = 1, []
    for s_index, (numbering, heading, key, text) in enumerate(sections, 1):
        clauses.append({"anchor": f"s{s_index}", "level": 1, "numbering": numbering, "heading": heading,
                        "text": text})  # fmt: skip
        if key == "levels":
            clauses[-1]["text"] = "".join(row["quote"] for row in notice.levels)
            for row in notice.levels:
                row["clause"] = f"s{s_index}"
            continue
        if key is None:
            continue
        groups: dict[str, list[dict]] = {}
        for row in notice.rules:
            if section_of(row, key):
                groups.setdefault(row["_target"], []).append(row)
        for i_index, (target, rows) in enumerate(groups.items(), 1):
            for row in rows:
                row["serial"], row["clause"] = serial, f"s{s_index}-{i_index}"
                serial += 1
                rules.append(row)
            first_serial, last = rows[0]["serial"], rows[-1]["serial"]
            see = f"(事项序号{first_serial}—{last})" if last > first_serial else f"(事项序号{first_serial})"
            clauses.append({"anchor": f"s{s_index}-{i_index}", "level": 2, "numbering": f"({chinese(i_index)})",
                            "heading": f"申请{target}。", "text": "".join(r["quote"] for r in rows) + see})  # fmt: skip
    clauses.append({"anchor": "signature", "level": 1, "numbering": "", "heading": "",
                    "text": "\n".join([*notice.issuers, f"{notice.issued_on.year}年{notice.issued_on.month}月"
                                        f"{notice.issued_on.day}日"])})  # fmt: skip
    notice.rules = rules
    notice.clauses = clauses


def package(notice: Notice) -> dict:
    return {
        "format": 1,
        "notice": {
            "number": notice.number,
            "slug": notice.slug,
            "title": notice.title,
            "short_title": notice.short_title,
            "issuers": notice.issuers,
            "issued_on": notice.issued_on.isoformat(),
            "in_force_from": notice.in_force_from.isoformat(),
            "scope": notice.scope,
            "status": "published",
            "source_name": MARK,
        },
        "clauses": notice.clauses,
        "certificates": [c.data for c in notice.certificates],
        "rules": [{k: v for k, v in row.items() if not k.startswith("_")} for row in notice.rules],
        "levels": notice.levels,
    }


def generate(world: str, seed: int) -> tuple[dict[str, dict], dict]:
    """The world's packages (file name -> package, in the order they load) and its manifest."""
    shape = WORLDS[world]
    rng = random.Random(f"{world}-{seed}")
    certs = base_certificates()
    taken = {(r["held"], r["target"]) for r in BASE["rules"]}
    nationals = national_notices(shape, rng, certs, taken)
    provincials, pool = provincial_notices(shape, rng, certs, taken, nationals)
    files = {f"{i + 1:02d}-{n.slug}.json": package(n) for i, n in enumerate([*nationals, *provincials])}
    replacements = [
        {"notice": n.number, "serial": r["serial"], "scope": n.scope, "held": r["held"], "target": r["target"],
         "replaces": r["replaces"]}
        for n in provincials for r in n.rules if "replaces" in r
    ]  # fmt: skip
    with_notice = [code for n in provincials for code in n.scope]
    without = [code for code, _ in PROVINCES if code not in with_notice]
    regions = sorted(with_notice[:4]) + (without[:1] if without else with_notice[4:5])
    manifest = {
        "world": world,
        "seed": seed,
        "files": list(files),
        "counts": {
            "notices": 1 + len(files),
            "certificates": len(certs) + len(provincials),
            "rules": len(BASE["rules"]) + sum(len(p["rules"]) for p in files.values()),
            "levels": len(BASE["levels"]) + sum(len(p["levels"]) for p in files.values()),
            "replacements": len(replacements),
            "replaced rules": len(pool),
        },
        "provinces": with_notice,
        "mix_regions": ["", *regions],
        "replacements": replacements,
    }
    return files, manifest


def write(files: dict[str, dict], manifest: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()
    for name, data in files.items():
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        (out / name).write_text(text, encoding="utf-8")
    (out / "world.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def counts() -> dict[str, int]:
    from recognition.models import Certificate, LevelEquivalence, Notice, RecognitionRule

    return {
        "notices": Notice.objects.count(),
        "certificates": Certificate.objects.count(),
        "rules": RecognitionRule.objects.count(),
        "levels": LevelEquivalence.objects.count(),
    }


def load(out: Path, manifest: dict) -> dict:
    """Load the world's packages with `manage.py load_notice`, one by one, timed; its counts checked."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "tools-world-" + "x" * 40)
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from recognition.rules import snapshot

    print(f"Loading world {manifest['world']} into {connection.vendor} {connection.settings_dict['NAME']}", flush=True)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_notice", verbosity=0)  # the reference data and 1号, into an empty database only
    timings["migrate and fixtures"] = time.perf_counter() - started
    for name in manifest["files"]:
        begin = time.perf_counter()
        call_command("load_notice", str(out / name), verbosity=0, stdout=io.StringIO())
        timings[name] = time.perf_counter() - begin
        print(f"  {name:<28} {timings[name]:6.1f} s", flush=True)
    total = time.perf_counter() - started
    found = counts()
    wanted = {key: manifest["counts"][key] for key in found}
    begin = time.perf_counter()
    book = snapshot.load_rules("world")
    build = time.perf_counter() - begin
    print(f"Loaded in {total:.1f} s: {found}; the rule book reads in {build * 1000:.0f} ms", flush=True)
    if found != wanted:
        raise SystemExit(f"the database holds {found}, the world {wanted}: not only this world is in it")
    return {"load_seconds": total, "timings": timings, "counts": found, "book_build_ms": build * 1000,
            "picker_order": list(book.picker_order), "database": connection.vendor}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--world", choices=sorted(WORLDS), default="M", help="the world's size (default M)")
    parser.add_argument("--seed", type=int, default=2026, help="the seed every name and draw comes from")
    parser.add_argument("--out", type=Path, help="where to write the packages (default bench/worlds/<world>-<seed>)")
    parser.add_argument("--load", action="store_true", help="load the world (DATABASE_URL, else --db)")
    parser.add_argument(
        "--db", type=Path, help="with --load and no DATABASE_URL: the SQLite file (default OUT/db.sqlite3)"
    )
    parser.add_argument("--summary", type=Path, help="with --load: write the timings, counts and picker order here")
    args = parser.parse_args()
    out = args.out or ROOT / "bench" / "worlds" / f"{args.world}-{args.seed}"
    files, manifest = generate(args.world, args.seed)
    write(files, manifest, out)
    largest = max(len((out / name).read_bytes()) for name in files)
    print(f"World {args.world} (seed {args.seed}): {manifest['counts']}; {len(files)} packages in {out}, "
          f"the largest {largest // 1024} KB", flush=True)  # fmt: skip
    if not args.load:
        return 0
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{(args.db or out / 'db.sqlite3').resolve()}"
    sys.path.insert(0, str(ROOT))
    summary = load(out, manifest)
    if args.summary:
        args.summary.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
