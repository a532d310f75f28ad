"""Routes compared with applying directly: what each route to a certificate spares, in the notice's words."""

from __future__ import annotations

from recognition.rules import engine
from recognition.rules.book import RuleBook
from recognition.site.presenters import SPLIT_TOPICS, group_steps, split_note

REFERENCE_STEPS = "本站整理的通常环节,参考,以发证部门的规定为准"


def count_steps(book: RuleBook, slug: str, names: tuple[str, ...] | None = None) -> dict:
    cert = book.certificates[slug]
    chosen = [step for step in cert.steps if names is None or step.name in names]
    trainings = sum(1 for step in chosen if step.kind == "training")
    return {"total": len(chosen), "trainings": trainings, "exams": len(chosen) - trainings}


def steps_words(book: RuleBook, slug: str, names: tuple[str, ...] | None = None) -> str:
    """安全作业培训、考核(通常分为…;参考,来源:…): steps in the notice's words, the split labelled."""
    cert = book.certificates[slug]
    text, whole = group_steps(cert, names if names is not None else cert.step_names)
    return f"{text}{split_note(book, cert, whole)}"


def compare_routes(book: RuleBook, result: engine.RoutesResult, answer: dict) -> dict:
    """Each route against applying directly.

    What a direct route spares is what its rule waives: the notice says so. The totals of a route that
    goes through another certificate are the site's own count of the usual steps, and say so; no page
    states how many exams remain, since the notice leaves some open (其他相关内容要求的考试).
    Adds "cost" to each route of `answer` (answers.describe_routes) and returns the direct cost.
    """
    direct = count_steps(book, result.target)
    target = book.certificates[result.target]
    direct["words"] = "、".join(target.step_names)
    source = next((f.source for f in book.facts.get(target.slug, ()) if f.topic in SPLIT_TOPICS), "")
    direct["reference"] = f"{REFERENCE_STEPS};来源:{source}" if source else REFERENCE_STEPS

    def route_cost(route: engine.Route) -> dict:
        totals = {"total": 0, "trainings": 0, "exams": 0}
        taken = []
        for rule in route.rules:
            cost = count_steps(book, rule.target, rule.remaining)
            for key in totals:
                totals[key] += cost[key]
            taken.append(
                f"{book.certificates[rule.target].short_name}:{steps_words(book, rule.target, rule.remaining)}"
            )
        first = route.rules[-1] if len(route.rules) == 1 else None
        return {
            **totals,
            "via": [book.certificates[slug] for slug in route.certificates[1:-1]],
            "shorter": totals["total"] < direct["total"],
            "saved": direct["total"] - totals["total"],
            "spared": group_steps(book.certificates[first.target], first.waived)[0] if first else "",
            "taken": taken,
        }

    for route, view in zip(result.direct, answer["direct"], strict=True):
        view["cost"] = route_cost(route)
    for route, view in zip(result.indirect, answer["indirect"], strict=True):
        view["cost"] = route_cost(route)
    answer["indirect_shorter"] = [view for view in answer["indirect"] if view["cost"]["shorter"]]
    answer["indirect_longer"] = [view for view in answer["indirect"] if not view["cost"]["shorter"]]
    return direct
