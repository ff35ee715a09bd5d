"""Systems and their inventory: the system's pages, business assets and assets."""

from fengping.infosec.models import Asset, BusinessAsset

READ, CHANGE = False, True


def objects(org, base):
    business = BusinessAsset.objects.create(
        system_id=base["system"], code="SCOPE-GW", name="公文流转", importance=4
    )
    asset = Asset.objects.filter(system_id=base["system"]).order_by("pk").first()
    return {
        "infosec_business": business.pk,
        "infosec_asset": asset.pk,
        "infosec_department": org.rsj.pk,
    }


PAGES = {
    "system": {
        "infosec:system": READ,
        "infosec:system_edit": CHANGE,
        "infosec:businesses": READ,
        "infosec:businesses_export": READ,
        "infosec:business_new": CHANGE,
        "infosec:assets": READ,
        "infosec:assets_list_export": READ,
        "infosec:assets_export": READ,
        "infosec:assets_template": READ,
        "infosec:assets_import": CHANGE,
        "infosec:asset_new": CHANGE,
    },
    "infosec_business": {
        "infosec:business_edit": CHANGE,
        "infosec:business_delete": CHANGE,
    },
    "infosec_asset": {
        "infosec:asset": READ,
        "infosec:asset_edit": CHANGE,
        "infosec:asset_delete": CHANGE,
    },
}
READERS = {
    "system": ("supervisor",),
    "infosec_assessment": ("supervisor",),
    "infosec_business": ("supervisor",),
    "infosec_asset": ("supervisor",),
}
API_PARAMETERS = {
    "system_id": "system",
    "business_id": "infosec_business",
    "asset_id": "infosec_asset",
}
API_OPERATIONS = {
    "POST /api/infosec/systems": {
        "kind": "system",
        "body": lambda o: {"department_id": o["infosec_department"], "code": "SCOPE-NEW"},
    },
}
