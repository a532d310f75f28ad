from django.urls import path

from recognition.api import views

urlpatterns = [
    path("", views.docs, name="api_docs"),
    path("v1/lookup", views.lookup, name="api_lookup"),
    path("v1/routes", views.routes, name="api_routes"),
    path("v1/matrix", views.matrix, name="api_matrix"),
]
