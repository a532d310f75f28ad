"""The best routes to a certificate, found without listing every chain of rules.

A rule book of thousands of rules has tens of thousands of chains of up to
three rules into one certificate; a worker is shown at most ROUTES_SHOWN of
them. The chains are ranked by whether they apply where asked, then by how
many of the target's steps the last rule spares, then by length, then by the
starting certificates' order. So they are produced in groups of one spared
count and one length, best group first, and the search stops once enough are
taken. The chains not shown are counted, not listed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date

from recognition.rules.book import RuleBook, RuleInfo

Chain = tuple[RuleInfo, ...]


class Search:
    """The chains of up to `max_steps` rules in force on `on` that end at `target`, visiting no certificate twice.

    With `held`: only those starting from a held certificate and passing through none.
    """

    def __init__(self, book: RuleBook, target: str, held: set[str], on: date | None, max_steps: int):
        self.book, self.target, self.held, self.max_steps = book, target, held, max_steps
        self.in_force = book.rules_in_force(on)
        self.incoming = self.in_force.incoming
        self.count_from = self.in_force.count_from
        self._from: dict[str, dict[str, list[RuleInfo]]] = {}

    def incoming_from(self, slug: str) -> dict[str, list[RuleInfo]]:
        """The rules in force into `slug`, by the certificate they start from."""
        if slug not in self._from:
            by_held: dict[str, list[RuleInfo]] = {}
            for rule in self.incoming(slug):
                by_held.setdefault(rule.held, []).append(rule)
            self._from[slug] = by_held
        return self._from[slug]

    def sources(self, head: str, last: bool) -> list[RuleInfo]:
        """The rules that may come before a chain starting at `head`; `last`: the chain's first rule."""
        if self.held and last:
            by_held = self.incoming_from(head)
            return [rule for slug in self.held for rule in by_held.get(slug, ())]
        return self.incoming(head)

    def ending_with(self, chain: Chain, visited: frozenset[str], more: int) -> Iterator[Chain]:
        """Every chain of exactly `more` rules more before `chain`."""
        head = chain[0].held
        if not more:
            if not self.held or head in self.held:
                yield chain
            return
        if self.held and head in self.held:
            return  # a route passes through no certificate held
        for rule in self.sources(head, last=more == 1):
            if rule.held not in visited:
                yield from self.ending_with((rule, *chain), visited | {rule.held}, more - 1)

    def groups(self) -> Iterator[list[Chain]]:
        """The chains in groups, best first: most of the target's steps spared, then fewer rules."""
        if self.target in self.held:
            return
        last_rules = self.incoming(self.target)
        for spared in sorted({len(rule.waived) for rule in last_rules}, reverse=True):
            for length in range(1, self.max_steps + 1):
                group = [
                    chain
                    for rule in last_rules
                    if len(rule.waived) == spared
                    for chain in self.ending_with((rule,), frozenset({self.target, rule.held}), length - 1)
                ]
                yield sorted(group, key=self.order)

    def order(self, chain: Chain) -> tuple:
        return [self.book.certificate_position[rule.held] for rule in chain], [rule.serial for rule in chain]

    def count(self) -> int:
        """How many chains there are in all, counted without listing them."""
        if self.target in self.held:
            return 0
        return sum(
            self.count_before(rule.held, frozenset({self.target, rule.held}), 1) for rule in self.incoming(self.target)
        )

    def count_before(self, head: str, visited: frozenset[str], length: int) -> int:
        """Chains starting at `head` (already `length` rules long) and every longer one made by going back."""
        found = 1 if not self.held or head in self.held else 0
        if length == self.max_steps or (self.held and head in self.held):
            return found
        if length + 1 == self.max_steps:  # the last step back: count the rules, do not follow them
            counts = self.count_from(head)
            if self.held:
                return found + sum(counts[slug] for slug in self.held if slug not in visited)
            return found + len(self.incoming(head)) - sum(counts[slug] for slug in visited)
        return found + sum(
            self.count_before(rule.held, visited | {rule.held}, length + 1)
            for rule in self.incoming(head)
            if rule.held not in visited
        )


def best_chains(search: Search, usable: Callable[[Chain], bool], per_start: int, shown: int) -> list[Chain]:
    """At most `per_start` chains from each certificate and `shown` in all: usable ones first, then the rest,
    each in rank order; returned shortest first, as the page lists them."""
    taken: list[Chain] = []
    from_start: Counter = Counter()
    for wanted in (True, False):
        for group in search.groups():
            for chain in group:
                if usable(chain) is wanted and from_start[chain[0].held] < per_start:
                    from_start[chain[0].held] += 1
                    taken.append(chain)
                    if len(taken) == shown:
                        return sorted(taken, key=lambda chain: (len(chain), not usable(chain), rank(search, chain)))
    return sorted(taken, key=lambda chain: (len(chain), not usable(chain), rank(search, chain)))


def rank(search: Search, chain: Chain) -> tuple:
    return (-len(chain[-1].waived), len(chain), *search.order(chain))
