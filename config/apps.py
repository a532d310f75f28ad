"""django-axes under a name staff understand (its app has no verbose name, so the admin shows "Axes")."""

from axes.apps import AppConfig as LibraryAxesConfig


class AxesConfig(LibraryAxesConfig):
    verbose_name = "登录限制"
