from django.urls import include, path

from recognition.site import preview, views

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
    path("qr.svg", views.qr_code, name="qr"),
    path("healthz", views.healthz, name="healthz"),
    path("preview/", include(preview)),
]
