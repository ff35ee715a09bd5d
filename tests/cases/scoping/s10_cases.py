"""The case registry: the organ's settings and import, a case's pages, its stage move
through the gate and its 信访 records."""

import datetime as dt

from fengping.cases.models import Case, Petition

READ, CHANGE = False, True


def objects(org, base):
    case = Case.objects.get(pk=base["case"])
    petition = Petition.objects.create(case=case, date=dt.date(2026, 10, 8), persons=1)
    return {"case_petition": petition.pk}


PAGES = {
    "case_organ": {
        "cases:organ": CHANGE,  # GET shows the settings, POST changes the organ's kind
        "cases:organ_mapping": CHANGE,
        "cases:import": CHANGE,
        "cases:import_template": READ,
    },
    "case": {
        "cases:case": READ,
        "cases:case_edit": CHANGE,
        "cases:case_stage": CHANGE,
        "cases:petitions": READ,
        "cases:petitions_export": READ,
        "cases:petition_new": CHANGE,
    },
    "case_petition": {
        "cases:petition_delete": CHANGE,
    },
}
READERS = {
    "case_organ": ("supervisor",),
    "case": ("supervisor",),
    "case_petition": ("supervisor",),
}
API_PARAMETERS = {
    "organ_id": "case_organ",
    "case_id": "case",
    "petition_id": "case_petition",
}
API_OPERATIONS = {
    "POST /api/cases/cases": {
        "kind": "case_organ",
        "body": lambda o: {"organ_id": o["case_organ"], "category": "criminal"},
    },
}
