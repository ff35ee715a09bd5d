"""年度考核: a run is the 维稳办's (its 督查 and the 联席办's read it; the 联席办 may not
compute for the 维稳办); a score belongs to its department (人社局's head reads its own)."""

from fengping.supervision.actions.evaluation import do_compute_evaluation
from fengping.supervision.models import Evaluation

READ, CHANGE = False, True


def objects(org, base):
    run = do_compute_evaluation(org.supervisor, org.wwb, 2025)
    return {
        "evaluation_run": run.pk,
        "evaluation": Evaluation.objects.get(run=run, department=org.rsj).pk,
    }


PAGES = {
    "evaluation_run": {
        "supervision:evaluation_run": READ,
        "supervision:evaluation_run_xlsx": READ,
        "supervision:evaluation_run_docx": READ,
    },
    "evaluation": {
        "supervision:evaluation": READ,
    },
}
READERS = {
    "evaluation_run": ("lxb_supervisor",),
    "evaluation": ("rsj_head",),
}
MEMBER_READERS = {
    "evaluation_run": ("supervisor", "lxb_supervisor"),
}
API_PARAMETERS = {
    "evaluation_run_id": "evaluation_run",
    "evaluation_id": "evaluation",
}
API_OPERATIONS = {
    "POST /api/supervision/evaluation/runs": {
        "kind": "evaluation_run",
        "body": lambda o: {"office_id": o["supervising_office"], "year": 2025},
    },
}
