"""French names for the third-party apps, as the administration shows them.

Django names an app after its ``AppConfig.verbose_name`` (« Axes », « Tasks Database
Backend », « Django_Otp »…). Each class below subclasses the app's own configuration (its
``ready()`` still runs) and only changes that name; ``INSTALLED_APPS`` lists these classes
instead of the bare module names. Labels (``axes``, ``django_tasks_database``, ``otp_totp``…)
are unchanged: migrations, permissions and tables stay the same.

The names of the third-party *models* and fields are translated in
``locale/fr/LC_MESSAGES/django.po`` (``LOCALE_PATHS``): they are written for translation in
those packages, and a project translation overrides theirs without touching their migrations.
See docs/interface.md, « Administration ».
"""

from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django_otp.plugins.otp_static.apps import DefaultConfig as OtpStaticAppConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as OtpTotpAppConfig
from django_tasks.apps import TasksAppConfig
from django_tasks_db.apps import TasksAppConfig as TasksDbAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = "Connexions et blocages"


class OtpConfig(AppConfig):
    name = "django_otp"
    verbose_name = "Double authentification"


class OtpTotpConfig(OtpTotpAppConfig):
    verbose_name = "Double authentification — applications d'authentification"


class OtpStaticConfig(OtpStaticAppConfig):
    verbose_name = "Double authentification — codes de secours"


class TachesConfig(TasksAppConfig):
    verbose_name = "Tâches de fond"


class TachesBaseConfig(TasksDbAppConfig):
    verbose_name = "Tâches de fond (file en base de données)"


class HistoriqueConfig(AppConfig):
    name = "simple_history"
    verbose_name = "Historique des modifications"
