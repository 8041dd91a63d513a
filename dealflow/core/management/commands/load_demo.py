"""Demo data: users in two teams with every role, account types, a dozen companies with
persons and projects. Safe to run again: it only adds what is missing."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.text import slugify

from dealflow.accounts.models import Role, Team, User
from dealflow.relations.models import AccountType, Company, Person, Project, ProjectStatus

DEMO_PASSWORD = "dealflow-demo"

USERS = [
    ("admin", "Ada", "Admin", Role.ADMIN, "en", None),
    ("manager", "Max", "Manager", Role.MANAGER, "en", "North"),
    ("anna", "Anna", "de Vries", Role.SALESPERSON, "nl", "North"),
    ("ben", "Ben", "Bakker", Role.SALESPERSON, "en", "North"),
    ("klara", "Klara", "Schmidt", Role.SALESPERSON, "de", "South"),
    ("joao", "João", "Silva", Role.SALESPERSON, "pt", "South"),
    ("southlead", "Sofia", "Santos", Role.MANAGER, "pt", "South"),
]

ACCOUNT_TYPES = [
    ("lead", "Lead", 10, True, True),
    ("prospect", "Prospect", 20, False, True),
    ("customer", "Customer", 30, False, False),
    ("supplier", "Supplier", 40, False, False),
]

COMPANIES = [
    ("Van Dijk Installatietechniek", "lead", "anna", "Amsterdam", "NL", "+31 20 555 0101", "Installer"),
    ("Bakker Groothandel", "customer", "ben", "Utrecht", "NL", "+31 30 555 0102", "Wholesaler"),
    ("Jansen Klimaat", "prospect", "anna", "Rotterdam", "NL", "+31 10 555 0103", "Installer"),
    ("Müller Haustechnik GmbH", "lead", "klara", "München", "DE", "+49 89 555 0104", "Installer"),
    ("Schneider Elektro", "customer", "klara", "Köln", "DE", "+49 221 555 0105", "Installer"),
    ("Weber Service AG", "prospect", "klara", "Hamburg", "DE", "+49 40 555 0106", "Service"),
    ("Silva & Filhos Lda", "lead", "joao", "Lisboa", "PT", "+351 21 555 0107", "Wholesaler"),
    ("Costa Climatização", "customer", "joao", "Porto", "PT", "+351 22 555 0108", "Installer"),
    ("Ferreira Serviços", "prospect", "joao", "Braga", "PT", "+351 25 555 0109", "Service"),
    ("De Boer Techniek", "customer", "ben", "Groningen", "NL", "+31 50 555 0110", "Installer"),
    ("Peeters Logistics", "supplier", "manager", "Antwerpen", "BE", "+32 3 555 0111", "Supplier"),
    ("Hoffmann Solar", "lead", "southlead", "Stuttgart", "DE", "+49 711 555 0112", "Installer"),
]

FIRST_NAMES = ["Pieter", "Sanne", "Thomas", "Lotte", "Jonas", "Mia", "Lukas", "Ana", "Rui", "Inês", "Daan", "Emma"]
LAST_NAMES = ["van Dijk", "Visser", "Meijer", "Bakker", "Wagner", "Becker", "Fischer", "Costa", "Pereira", "Smit"]
POSITIONS = ["Director", "Purchasing", "Technical lead"]


class Command(BaseCommand):
    help = "Load demo data (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        teams = {name: Team.objects.get_or_create(name=name)[0] for name in ("North", "South")}
        users: dict[str, User] = {}
        for username, first, last, role, lang, team in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "role": role,
                    "language": lang,
                    "email": f"{username}@example.com",
                    "is_staff": role == Role.ADMIN,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            users[username] = user
            if team:
                if role == Role.MANAGER:
                    teams[team].managers.add(user)
                teams[team].members.add(user)

        types = {}
        for code, name, order, default, phases in ACCOUNT_TYPES:
            types[code], _ = AccountType.objects.get_or_create(
                code=code, defaults={"name": name, "order": order, "is_default": default, "uses_lead_phases": phases}
            )

        for i, (name, type_code, owner, city, country, phone, category) in enumerate(COMPANIES):
            slug = slugify(name)
            company, created = Company.objects.get_or_create(
                name=name,
                defaults={
                    "account_type": types[type_code],
                    "owner": users[owner],
                    "visiting_city": city,
                    "visiting_street": f"Hoofdstraat {i + 1}",
                    "visiting_postcode": f"{1000 + i * 7}",
                    "country": country,
                    "phone": phone,
                    "email": f"info@{slug}.example",
                    "website": f"https://{slug}.example",
                    "category": category,
                },
            )
            if not created:
                continue
            for j in range(1 + i % 3):
                first = FIRST_NAMES[(i + j * 5) % len(FIRST_NAMES)]
                last = LAST_NAMES[(i * 3 + j) % len(LAST_NAMES)]
                position = POSITIONS[j]
                Person.objects.create(
                    first_name=first,
                    last_name=last,
                    company=company,
                    owner=company.owner,
                    position=position,
                    email=f"{slugify(first)}@{slug}.example",
                    phone=phone,
                )
            Project.objects.create(
                name=f"{category} {city} {2026 + i % 2}",
                company=company,
                owner=company.owner,
                status=list(ProjectStatus)[i % len(ProjectStatus)],
                start_date=dt.date(2026, 1 + i % 12, 1),
                end_date=dt.date(2027, 1 + i % 12, 28),
            )
        from dealflow.sales.demo import load as load_funnel

        load_funnel(users["admin"])
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
