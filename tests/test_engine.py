"""The rules engine against the notice, row by row and for every combination.

The expected rows are written here from the notice's sentences (一、(一),
一、(二) and 二、(一)), never read back from the fixtures they check.
"""

import random
from dataclasses import replace
from datetime import date
from itertools import combinations

import pytest

from recognition.models import Issuance
from recognition.rules import engine

LOW = "low-voltage-electrician"
HIGH = "high-voltage-electrician"
B_ELEC = "building-electrician"
FUSION = "fusion-welding-cutting"
B_WELD = "building-welder"
SPECIAL = "special-equipment-welder"
ALL = (LOW, HIGH, B_ELEC, FUSION, B_WELD, SPECIAL)
# As the pickers list them, by department: the order of `held` in a page's own address.
PICKER = (LOW, HIGH, FUSION, B_ELEC, B_WELD, SPECIAL)


def in_picker_order(held) -> list[str]:
    return sorted(held, key=PICKER.index)


HC_TRAINING = "安全作业培训"
HC_EXAM = ("安全技术理论考核", "安全操作技能考核")  # 建筑…特种作业人员考核
EM_TRAINING = "安全技术培训"
EM_EXAM = ("安全技术理论考试", "安全技术实操考试")  # 安全技术考试

# 序号: (held, applied for, department applied to, waived, still to take, clause)
NOTICE_ROWS = {
    1: (LOW, B_ELEC, "住房城乡建设部门", {HC_TRAINING}, set(HC_EXAM), "s1-1"),
    2: (HIGH, B_ELEC, "住房城乡建设部门", {HC_TRAINING}, set(HC_EXAM), "s1-1"),
    3: (B_ELEC, LOW, "应急管理部门", {EM_TRAINING}, set(EM_EXAM), "s1-1"),
    4: (FUSION, B_WELD, "住房城乡建设部门", {HC_TRAINING}, set(HC_EXAM), "s1-2"),
    5: (FUSION, SPECIAL, "市场监管部门", {"动火作业安全管理考试"}, {"其他相关内容要求的考试"}, "s1-2"),
    6: (B_WELD, FUSION, "应急管理部门", {EM_TRAINING}, set(EM_EXAM), "s1-2"),
    7: (SPECIAL, FUSION, "应急管理部门", {EM_TRAINING, "安全技术理论考试"}, {"安全技术实操考试"}, "s1-2"),
}
PAIRS_WITH_A_ROW = {(held, target): serial for serial, (held, target, *_) in NOTICE_ROWS.items()}

# 二、(一): held certificate -> (occupation, deemed level, level one may apply for)
NOTICE_LEVELS = {
    LOW: ("电工", 5, 4),
    HIGH: ("电工", 4, 3),
    B_ELEC: ("电工", 5, 4),
    FUSION: ("焊工", 5, 4),
    B_WELD: ("焊工", 5, 4),
    SPECIAL: ("焊工", 4, 3),
}

ALL_COMBINATIONS = [combo for size in range(1, 7) for combo in combinations(ALL, size)]
TODAY = date(2026, 11, 26)


@pytest.mark.parametrize("serial", sorted(NOTICE_ROWS))
def test_each_attachment_row(book, serial):
    held, target, department, waived, remaining, clause = NOTICE_ROWS[serial]
    result = engine.lookup(book, [held], on=TODAY)
    [recognition] = [r for r in result.recognitions if r.rule.target == target]
    rule = recognition.rule
    assert rule.serial == serial
    assert rule.apply_to == department
    assert set(rule.waived) == waived
    assert set(rule.remaining) == remaining
    assert rule.clause == clause
    assert "合法有效" in recognition.conditions[0].text


def test_the_notice_has_seven_rows_and_no_more(book):
    assert {(r.held, r.target): r.serial for r in book.rules} == PAIRS_WITH_A_ROW


@pytest.mark.parametrize(
    "held,target",
    [(a, b) for a in ALL for b in ALL if a != b and (a, b) not in PAIRS_WITH_A_ROW],
)
def test_a_pair_without_a_row_answers_nothing(book, held, target):
    result = engine.lookup(book, [held], on=TODAY)
    assert target not in result.targets


def test_building_electrician_does_not_shorten_high_voltage(book):
    assert engine.lookup(book, [B_ELEC], on=TODAY).targets == (LOW,)


def test_low_and_high_voltage_do_not_shorten_each_other(book):
    assert engine.lookup(book, [LOW], on=TODAY).targets == (B_ELEC,)
    assert engine.lookup(book, [HIGH], on=TODAY).targets == (B_ELEC,)


def test_building_welder_and_special_equipment_welder_do_not_shorten_each_other(book):
    assert engine.lookup(book, [B_WELD], on=TODAY).targets == (FUSION,)
    assert engine.lookup(book, [SPECIAL], on=TODAY).targets == (FUSION,)


def test_fusion_welding_shortens_two_ways_with_different_waivers(book):
    result = engine.lookup(book, [FUSION], on=TODAY)
    assert result.targets == (B_WELD, SPECIAL)
    to_special = result.recognitions_for(SPECIAL)[0].rule
    assert to_special.waived == ("动火作业安全管理考试",)
    assert EM_TRAINING not in to_special.waived


def test_two_certificates_shortening_one_target_give_two_recognitions(book):
    result = engine.lookup(book, [B_WELD, SPECIAL], on=TODAY)
    to_fusion = result.recognitions_for(FUSION)
    assert [r.rule.serial for r in to_fusion] == [6, 7]
    assert [r.rule.held for r in to_fusion] == [B_WELD, SPECIAL]


def test_a_target_already_held_is_not_offered(book):
    result = engine.lookup(book, [LOW, B_ELEC], on=TODAY)
    assert result.recognitions == ()
    assert {rule.serial for rule in result.already_held} == {1, 3}


@pytest.mark.parametrize("slug", ALL)
def test_each_certificate_counts_as_a_level(book, slug):
    occupation, deemed, eligible = NOTICE_LEVELS[slug]
    [level] = engine.lookup(book, [slug], on=TODAY).levels
    assert (level.occupation, level.deemed_level, level.eligible_level) == (occupation, deemed, eligible)
    assert level.clause == "s2-1"


def test_the_higher_level_wins_when_certificates_combine(book):
    result = engine.lookup(book, [LOW, HIGH, FUSION], on=TODAY)
    best = {b.occupation: b for b in result.best_levels}
    assert (best["电工"].deemed_level, best["电工"].eligible_level, best["电工"].held) == (4, 3, (HIGH,))
    assert (best["焊工"].deemed_level, best["焊工"].eligible_level, best["焊工"].held) == (5, 4, (FUSION,))


def test_equal_levels_name_every_certificate_that_gives_them(book):
    [best] = engine.lookup(book, [LOW, B_ELEC], on=TODAY).best_levels
    assert best.held == (LOW, B_ELEC)
    assert (best.deemed_level, best.eligible_level) == (5, 4)


def test_a_repeated_certificate_counts_once(book):
    assert engine.lookup(book, [FUSION, FUSION], on=TODAY) == engine.lookup(book, [FUSION], on=TODAY)


def test_unknown_certificate_and_region_are_programming_errors(book):
    # recognition.site.query refuses them with a message for people; the engine only asserts.
    with pytest.raises(AssertionError):
        engine.lookup(book, ["electrician"], on=TODAY)
    with pytest.raises(AssertionError):
        engine.lookup(book, [LOW], region="99", on=TODAY)
    with pytest.raises(AssertionError):
        engine.routes(book, "electrician", on=TODAY)


@pytest.mark.parametrize("held", ALL_COMBINATIONS, ids="+".join)
def test_invariants_for_every_combination(book, held):
    result = engine.lookup(book, held, on=TODAY)
    held_set = set(held)
    assert set(result.held) == held_set
    expected = {serial for (a, b), serial in PAIRS_WITH_A_ROW.items() if a in held_set and b not in held_set}
    assert {r.rule.serial for r in result.recognitions} == expected
    for recognition in result.recognitions:
        rule = recognition.rule
        target_steps = set(book.certificates[rule.target].step_names)
        assert rule.held in held_set and rule.target not in held_set
        assert set(rule.waived) and set(rule.waived) <= target_steps
        assert set(rule.remaining) <= target_steps
        assert not set(rule.waived) & set(rule.remaining)
        assert (rule.notice_number, rule.clause) in book.clauses
        assert all(condition.met is None for condition in recognition.conditions)  # no region chosen
    assert {level.held for level in result.levels} == held_set
    for best in result.best_levels:
        mine = [NOTICE_LEVELS[slug] for slug in held if NOTICE_LEVELS[slug][0] == best.occupation]
        assert best.deemed_level == min(deemed for _, deemed, _ in mine)
        assert best.eligible_level < best.deemed_level
    assert {b.occupation for b in result.best_levels} == {NOTICE_LEVELS[slug][0] for slug in held}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status,met,excluded",
    [
        (Issuance.Status.ISSUED, True, False),
        (Issuance.Status.NOT_ISSUED, False, True),
        (Issuance.Status.UNKNOWN, None, False),
    ],
)
def test_building_welder_region_condition_is_decided_once_a_province_is_chosen(status, met, excluded):
    from recognition.rules.snapshot import current_rules

    Issuance.objects.filter(province__code="44", certificate__slug=B_WELD).update(status=status)
    Issuance.objects.first().save()  # .update() sends no signal: bump the version as the admin would
    book = current_rules()
    [recognition] = engine.lookup(book, [FUSION], region="44", on=TODAY).recognitions_for(B_WELD)
    region_condition = recognition.conditions[1]
    assert "颁发建筑焊工" in region_condition.text
    assert region_condition.met is met
    assert recognition.excluded is excluded
    # Without a province the condition is stated, not decided.
    [undecided] = engine.lookup(book, [FUSION], on=TODAY).recognitions_for(B_WELD)
    assert undecided.conditions[1].met is None
    # Other rules have no region condition.
    [to_special] = engine.lookup(book, [FUSION], region="44", on=TODAY).recognitions_for(SPECIAL)
    assert [c.met for c in to_special.conditions] == [None]


def test_rules_apply_only_between_their_dates(book):
    row = next(rule for rule in book.rules if rule.serial == 1)
    ended = replace(row, valid_until=date(2026, 6, 1))
    later = replace(next(rule for rule in book.rules if rule.serial == 2), valid_from=date(2027, 1, 1))
    dated = replace(book, rules=(ended, later))
    # valid_until is the last day the rule applies, inclusive.
    assert engine.lookup(dated, [LOW], on=date(2026, 6, 1)).targets == (B_ELEC,)
    assert engine.lookup(dated, [LOW], on=date(2026, 6, 2)).targets == ()
    assert engine.lookup(dated, [HIGH], on=date(2026, 12, 31)).targets == ()
    assert engine.lookup(dated, [HIGH], on=date(2027, 1, 1)).targets == (B_ELEC,)


def test_routes_to_building_welder_direct_and_through_fusion_welding(book):
    result = engine.routes(book, B_WELD, on=TODAY)
    assert [route.certificates for route in result.direct] == [(FUSION, B_WELD)]
    assert [route.certificates for route in result.indirect] == [(SPECIAL, FUSION, B_WELD)]
    assert result.level.deemed_level == 5


def test_routes_to_low_voltage_from_high_voltage_go_through_building_electrician(book):
    result = engine.routes(book, LOW, on=TODAY)
    assert [route.certificates for route in result.direct] == [(B_ELEC, LOW)]
    assert [route.certificates for route in result.indirect] == [(HIGH, B_ELEC, LOW)]


def test_routes_never_visit_a_certificate_twice_or_start_at_the_target(book):
    for target in ALL:
        result = engine.routes(book, target, on=TODAY)
        for route in result.direct + result.indirect:
            assert route.certificates[-1] == target
            assert len(set(route.certificates)) == len(route.certificates)
            for first, second in zip(route.rules, route.rules[1:], strict=False):
                assert first.target == second.held


def test_routes_from_held_certificates_skip_what_is_held(book):
    result = engine.routes(book, B_WELD, held=[SPECIAL], on=TODAY)
    assert result.direct == ()
    assert [route.certificates for route in result.indirect] == [(SPECIAL, FUSION, B_WELD)]
    # Holding fusion welding too, the direct route is the answer and the long one goes.
    result = engine.routes(book, B_WELD, held=[SPECIAL, FUSION], on=TODAY)
    assert [route.certificates for route in result.direct] == [(FUSION, B_WELD)]
    assert result.indirect == ()


def test_no_route_to_a_certificate_already_held(book):
    result = engine.routes(book, FUSION, held=[FUSION], on=TODAY)
    assert result.direct == result.indirect == ()


@pytest.mark.parametrize(
    "words,expected",
    [
        ("电工证", (LOW, HIGH, B_ELEC)),
        ("焊工证", (FUSION, B_WELD, SPECIAL)),
        ("上岗证", ALL),
        ("住建 焊工", (B_WELD,)),
        ("高压证", (HIGH,)),
        ("市场监管", (SPECIAL,)),
        ("  ", ALL),
        ("驾驶证", ()),
    ],
)
def test_search_understands_the_names_workers_use(book, words, expected):
    assert engine.search_certificates(book, words) == expected


def test_the_book_finds_rules_and_levels_by_key_held_and_target(book):
    for rule in book.rules:
        assert book.rule(rule.key) is rule
        assert rule in book.rules_by_held[rule.held] and rule in book.rules_by_target[rule.target]
    for level in book.levels:
        assert book.level(level.key) is level and level in book.levels_by_held[level.held]
    assert book.rule(("人社厅发〔2026〕1号", 99)) is None and book.rule(None) is None
    assert sum(len(rules) for rules in book.rules_by_held.values()) == len(book.rules)


def test_an_answer_reads_only_the_rules_of_the_certificates_it_is_about(book):
    """Thousands of rules about other certificates change neither the answer nor which rules it reads."""
    others = tuple(
        replace(rule, serial=1000 + n, held=f"other-{n}", target=f"other-{n + 1}")
        for n, rule in enumerate(book.rules * 800)
    )
    big = replace(book, rules=book.rules + others)
    assert len(big.rules) > 5000
    for held in ([LOW], [FUSION, B_WELD], list(ALL)):
        assert engine.lookup(big, held, on=TODAY) == engine.lookup(book, held, on=TODAY)
    assert engine.routes(big, B_WELD, on=TODAY) == engine.routes(book, B_WELD, on=TODAY)


def many_routes_book(book, starts: int = 12):
    """Certificates c0…c{starts-1}, each with a rule to every other and to B_WELD: hundreds of chains."""
    template = book.rules[0]
    names = [f"c{n}" for n in range(starts)]
    certificates = dict(book.certificates)
    for name in names:
        certificates[name] = replace(book.certificates[LOW], slug=name, name=name)
    rules, serial = [], 100
    for held in names:
        for target in [*names, B_WELD]:
            if target != held:
                serial += 1
                waived = ("安全作业培训",) * (1 + names.index(held) % 3) if target == B_WELD else ("x",)
                rules.append(replace(template, serial=serial, held=held, target=target, waived=waived))
    return replace(book, certificates=certificates, rules=tuple(rules))


def test_routes_are_bounded_by_what_a_worker_can_use(book):
    big = many_routes_book(book)
    result = engine.routes(big, B_WELD, on=TODAY)
    shown = [*result.direct, *result.indirect]
    assert len(shown) == engine.ROUTES_SHOWN
    starts = [route.start for route in shown]
    assert max(starts.count(start) for start in starts) <= engine.ROUTES_PER_START
    every = 12 + 12 * 11 + 12 * 11 * 10  # one, two and three rules long
    assert result.omitted == every - len(shown)
    # Those sparing most of the target's steps first, then fewer rules.
    assert {route.rules[-1].waived.__len__() for route in result.direct} == {3}
    assert all(len(route.rules[-1].waived) == 3 for route in shown)


def every_chain(book, target, held, on, max_steps=3):
    """The oracle: every chain, listed one by one, as the engine did before it searched (36,000 in a big book)."""
    held = set(held)
    found = []

    def extend(chain, visited):
        for rule in book.rules_by_target.get(chain[0].held if chain else target, ()):
            if rule.in_force_on(on) and rule.held not in visited:
                found.append((rule, *chain))
                if len(chain) + 1 < max_steps and rule.held not in held:
                    extend((rule, *chain), visited | {rule.held})

    if target not in held:
        extend((), frozenset({target}))
    if held:
        found = [c for c in found if c[0].held in held and not any(r.held in held for r in c[1:])]
    return found


def oracle_routes(book, target, held, on, region):
    """The bound routes picked from every chain by the rule the engine states, and how many are left out."""
    found = every_chain(book, target, held, on)
    decided = {rule.key: engine.recognise(book, rule, region, on) for chain in found for rule in chain}

    def usable(chain):
        return not any(decided[rule.key].excluded for rule in chain)

    def rank(chain):
        return (
            -len(chain[-1].waived),
            len(chain),
            [book.certificate_position[r.held] for r in chain],
            [r.serial for r in chain],
        )

    shown, per_start = [], {}
    for chain in sorted(found, key=lambda chain: (not usable(chain), rank(chain))):
        if per_start.get(chain[0].held, 0) < engine.ROUTES_PER_START and len(shown) < engine.ROUTES_SHOWN:
            per_start[chain[0].held] = per_start.get(chain[0].held, 0) + 1
            shown.append(chain)
    return sorted(shown, key=lambda chain: (len(chain), not usable(chain), rank(chain))), len(found) - len(shown)


def random_book(book, seed: int, certificates: int = 14, rules: int = 120):
    """Random rules between many certificates: several per pair, some not yet in force, some only in a region."""
    rng = random.Random(seed)
    template = book.rules[0]
    names = [f"c{n}" for n in range(certificates)] + [B_WELD]
    table = dict(book.certificates)
    for name in names[:-1]:
        table[name] = replace(book.certificates[LOW], slug=name, name=name)
    made = []
    for serial in range(100, 100 + rules):
        held, target = rng.sample(names, 2)
        made.append(
            replace(
                template,
                serial=serial,
                held=held,
                target=target,
                waived=("安全作业培训",) * rng.randint(1, 3),
                valid_from=rng.choice([date(2026, 1, 9), date(2027, 1, 1)]),
                scope=rng.choice([(), (), ("44",)]),
            )
        )
    return replace(book, certificates=table, rules=tuple(made))


@pytest.mark.parametrize("seed", range(12))
def test_the_route_search_shows_what_listing_every_chain_would(book, seed):
    big = random_book(book, seed)
    rng = random.Random(seed)
    for target in rng.sample(sorted(big.certificates), 4):
        for held in ((), tuple(rng.sample(sorted(big.certificates), 3))):
            for region in (None, "44", "11"):
                result = engine.routes(big, target, held, on=TODAY, region=region)
                shown, omitted = oracle_routes(big, target, engine.normalise_held(big, held), TODAY, region)
                assert [route.rules for route in (*result.direct, *result.indirect)] == shown
                assert result.omitted == omitted


@pytest.mark.parametrize("target", ALL)
def test_with_todays_rules_every_route_is_shown(book, target):
    assert engine.routes(book, target, on=TODAY).omitted == 0
