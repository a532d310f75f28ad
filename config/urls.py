from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

admin.site.site_header = "证书互认查询 · 规则管理"
admin.site.site_title = "证书互认查询管理"
admin.site.index_title = "规则管理"
# The admin's script strings, with those Django 5.2's Chinese catalog lacks (recognition/locale).
admin.site.i18n_javascript = lambda request, extra_context=None: JavaScriptCatalog.as_view(
    packages=["django.contrib.admin", "recognition"]
)(request)

urlpatterns = [
    path("api/", include("recognition.api.urls")),
    path("admin/", admin.site.urls),
    path("", include("recognition.site.urls")),
]

handler400 = "recognition.site.views.bad_request"
handler404 = "recognition.site.views.page_not_found"
handler500 = "recognition.site.views.server_error"
