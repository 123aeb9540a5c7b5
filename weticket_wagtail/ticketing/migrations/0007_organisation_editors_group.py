import django.db.models.deletion
from django.db import migrations, models


def make_groups(apps, schema_editor):
    """Existing organisations get their group now; new ones get it when they are saved."""
    Organisation = apps.get_model("weticket_ticketing", "Organisation")
    Membership = apps.get_model("weticket_ticketing", "OrganisationMembership")
    Group = apps.get_model("auth", "Group")
    for organisation in Organisation.objects.filter(editors_group=None).only("name", "slug"):
        suffix = f" ({organisation.slug})"
        name = f"{organisation.name}: pages"[: 150 - len(suffix)] + suffix
        group, _created = Group.objects.get_or_create(name=name)
        Organisation.objects.filter(pk=organisation.pk).update(editors_group=group)
        members = Membership.objects.filter(organisation_id=organisation.pk)
        group.user_set.add(*members.values_list("user_id", flat=True))


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("weticket_ticketing", "0006_order_subject_lookup"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="editors_group",
            field=models.OneToOneField(
                blank=True,
                editable=False,
                help_text="Made with the organisation and holding its members: Wagtail gives "
                "this group permission to edit the organisation's own pages.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="auth.group",
                verbose_name="page editors' group",
            ),
        ),
        migrations.RunPython(make_groups, migrations.RunPython.noop),
    ]
