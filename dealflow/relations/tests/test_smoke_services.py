import pytest
from django.core.exceptions import ValidationError

from dealflow.relations import services
from dealflow.relations.models import Person


@pytest.mark.django_db
def test_company_delete_detaches_persons_by_default(salesperson):
    company = services.company_create(actor=salesperson, data={"name": "Acme"})
    person = services.person_create(actor=salesperson, data={"last_name": "Jansen", "company": company})
    services.company_delete(actor=salesperson, company=company)
    person.refresh_from_db()
    assert person.company is None


@pytest.mark.django_db
def test_company_name_required(salesperson):
    with pytest.raises(ValidationError) as exc:
        services.company_create(actor=salesperson, data={"name": "  "})
    assert "name" in exc.value.message_dict
    assert Person.objects.count() == 0
