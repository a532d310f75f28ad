"""The admin: staff of a 人社 department keep the rules current, in Chinese.

Django's autodiscover imports this package; importing the modules registers
their admins. Every model has history and restore (base.StaffAdmin). Rules are
checked by recognition.rules.checks, here and in the import.
"""

from recognition.admin import certificates, notices, reference_lists, rules

__all__ = ["certificates", "notices", "reference_lists", "rules"]
