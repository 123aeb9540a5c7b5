from django.db import migrations

PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page")


def grant_existing_pages(apps, schema_editor):
    """Branded ticket pages made before organisations had groups: give them to their group."""
    BrandedTicketPage = apps.get_model("weticket_blocks", "BrandedTicketPage")
    Organisation = apps.get_model("weticket_ticketing", "Organisation")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(
        Permission.objects.filter(
            content_type__app_label="wagtailcore", codename__in=PAGE_PERMISSIONS
        )
    )
    groups = dict(
        Organisation.objects.exclude(editors_group=None).values_list("pk", "editors_group_id")
    )
    for page_id, organisation_id in BrandedTicketPage.objects.values_list("pk", "organisation_id"):
        group_id = groups.get(organisation_id)
        if group_id is None:
            continue
        for permission in permissions:
            GroupPagePermission.objects.get_or_create(
                group_id=group_id, page_id=page_id, permission=permission
            )


class Migration(migrations.Migration):

    dependencies = [
        ("weticket_blocks", "0002_consent_marketing_pixels"),
        ("weticket_ticketing", "0007_organisation_editors_group"),
    ]

    operations = [migrations.RunPython(grant_existing_pages, migrations.RunPython.noop)]
