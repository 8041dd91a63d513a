from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dealflow.core"
    label = "core"

    def ready(self) -> None:
        from .choices import use_listed_choices

        use_listed_choices()
