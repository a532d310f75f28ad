from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/", include("recognition.api.urls")),
    # admin.site is config.admin_site.StaffAdminSite (config.apps.AdminConfig)
    path("admin/", admin.site.urls),
    path("", include("recognition.site.urls")),
]

handler400 = "recognition.site.views.bad_request"
handler404 = "recognition.site.views.page_not_found"
handler500 = "recognition.site.views.server_error"
