from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecognitionConfig(AppConfig):
    name = "recognition"
    verbose_name = _("证书互认规则")

    def ready(self) -> None:
        from recognition.rules import delete_guards, replacements, signals

        signals.connect()
        delete_guards.connect()
        replacements.connect()
