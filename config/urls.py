from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from recognition.api import views as api
from recognition.site import preview, views

admin.site.site_header = "证书互认查询 · 规则管理"
admin.site.site_title = "证书互认查询管理"
admin.site.index_title = "规则管理"
# The admin's script strings, with those Django 5.2's Chinese catalog lacks (recognition/locale).
admin.site.i18n_javascript = lambda request, extra_context=None: JavaScriptCatalog.as_view(
    packages=["django.contrib.admin", "recognition"]
)(request)

urlpatterns = [
    path("", views.home, name="home"),
    path("routes/", views.routes, name="routes"),
    path("matrix/", views.matrix, name="matrix"),
    path("matrix.csv", views.matrix_csv, name="matrix_csv"),
    path("notice/", views.old_notice, name="notice"),
    path("notices/", views.notices, name="notices"),
    path("notices/<slug:slug>/", views.notice_detail, name="notice_detail"),
    path("certificates/", views.certificates, name="certificates"),
    path("certificates/<slug:slug>/", views.certificate, name="certificate"),
    path("api/", api.docs, name="api_docs"),
    path("api/v1/lookup", api.lookup, name="api_lookup"),
    path("api/v1/routes", api.routes, name="api_routes"),
    path("api/v1/matrix", api.matrix, name="api_matrix"),
    path("healthz", views.healthz, name="healthz"),
    path("preview/", include(preview)),
    path("admin/", admin.site.urls),
]

handler400 = "recognition.site.views.bad_request"
handler404 = "recognition.site.views.page_not_found"
handler500 = "recognition.site.views.server_error"
