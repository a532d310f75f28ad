"""Django's and django-axes' apps as this site configures them."""

from axes.apps import AppConfig as LibraryAxesConfig
from django.contrib.admin.apps import AdminConfig as LibraryAdminConfig


class AxesConfig(LibraryAxesConfig):
    """django-axes under a name staff understand (its app has no verbose name, so the admin shows "Axes")."""

    verbose_name = "登录限制"


class AdminConfig(LibraryAdminConfig):
    """The admin with the site's own AdminSite: its titles, and a login that leads only into the staff areas."""

    default_site = "config.admin_site.StaffAdminSite"
