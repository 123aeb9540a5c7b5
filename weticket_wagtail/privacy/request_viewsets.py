"""The data-subject request inbox in the Wagtail admin (Privacy → Requests).

* The index lists the requests the user may see (:func:`~.services.requests.requests_visible_to`:
  privacy contacts all, organisation staff those about their organisations' data), soonest due
  first, overdue ones marked, with filters by type, status, assignee and deadline.
* The inspect view shows the request, the records the registry finds now (organisation staff
  see only their organisations' records), the subject's processing limits and the audit trail,
  with the actions that fit the request.
* Each action is a small form that calls one service (:mod:`.services.requests`,
  ``export``, ``erasure``, ``rectification``, ``flags``). Assigning, notes, replies,
  extending, rejecting, closing and correcting (own organisation's rows) need the "change"
  permission on requests; export, erasure and processing limits touch everything the person
  has with us, so they are for privacy contacts (and superusers) only.
* "Correct personal data" is also reachable from a record's admin page (an order's), by the
  record's reference: ``rectify/?record=weticket_ticketing.order:42``.

Another organisation's request answers 404, as everywhere in the admin (rule 8).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail import VERSION as WAGTAIL_VERSION
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn, TitleColumn
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy

from weticket_wagtail.conf import weticket_settings

from .models import DataSubjectRequest, SubjectFlag
from .registry import SubjectRecords, personal_data
from .services import erasure, export, flags, rectification
from .services import requests as request_service
from .services.deadlines import MAX_EXTENSION_MONTHS
from .services.reminders import due_soon
from .services.requests import RequestError, requests_visible_to
from .tenancy import is_privacy_contact, tenant_names, user_tenant_ids

Kind = DataSubjectRequest.Kind
Status = DataSubjectRequest.Status
CHANGE_PERMISSION = "weticket_privacy.change_datasubjectrequest"
VIEW_PERMISSION = "weticket_privacy.view_datasubjectrequest"


# --- who may do what -----------------------------------------------------------------------------


def may_handle(user) -> bool:
    return is_privacy_contact(user) or bool(
        getattr(user, "is_active", False) and user.has_perm(CHANGE_PERMISSION)
    )


class RequestPermissionPolicy(BasePermissionPolicy):
    """View: privacy contacts, or holders of ``view_datasubjectrequest`` for requests about
    their tenants; change: the same with ``change_datasubjectrequest``. Nobody adds or deletes
    requests in the admin (people make them; the audit trail must stay whole)."""

    def user_has_permission(self, user, action: str) -> bool:
        if not getattr(user, "is_active", False):
            return False
        if action == "view":
            return is_privacy_contact(user) or user.has_perm(VIEW_PERMISSION)
        if action == "change":
            return may_handle(user)
        return False

    def user_has_any_permission(self, user, actions) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user, action: str, instance) -> bool:
        return (
            self.user_has_permission(user, action)
            and requests_visible_to(user).filter(pk=instance.pk).exists()
        )

    def user_has_any_permission_for_instance(self, user, actions, instance) -> bool:
        return any(self.user_has_permission_for_instance(user, a, instance) for a in actions)

    def instances_user_has_any_permission_for(self, user, actions) -> QuerySet:
        if not self.user_has_any_permission(user, actions):
            return DataSubjectRequest.objects.none()
        return requests_visible_to(user)

    def users_with_any_permission(self, actions) -> QuerySet:
        users = get_user_model()._default_manager.filter(is_active=True)
        codenames = {"view": "view_datasubjectrequest", "change": "change_datasubjectrequest"}
        wanted = [codenames[a] for a in actions if a in codenames] + ["handle_all_requests"]
        if not any(a in codenames for a in actions):
            return users.none()
        perm_q = Q(is_superuser=True)
        for codename in wanted:
            perm_q |= Q(
                groups__permissions__codename=codename,
                groups__permissions__content_type__app_label="weticket_privacy",
            ) | Q(
                user_permissions__codename=codename,
                user_permissions__content_type__app_label="weticket_privacy",
            )
        return users.filter(perm_q).distinct()


REQUEST_POLICY = RequestPermissionPolicy(DataSubjectRequest)


def handlers_for(user) -> QuerySet:
    """Whom ``user`` may assign a request to: any handler for a privacy contact; themselves
    otherwise (the list must not show other organisations' staff)."""
    users = get_user_model()._default_manager.filter(is_active=True)
    if is_privacy_contact(user):
        return REQUEST_POLICY.users_with_any_permission(["change"]).order_by("pk")
    return users.filter(pk=user.pk)


def visible_records(req: DataSubjectRequest, user) -> SubjectRecords:
    """The subject's records ``user`` may see: all for privacy contacts, else their tenants'."""
    records = request_service.find_records(req)
    if is_privacy_contact(user):
        return records
    return records.restricted_to(user_tenant_ids(user))


# --- listing -------------------------------------------------------------------------------------


def _assignees(request):
    if request is None:
        return get_user_model()._default_manager.none()
    ids = requests_visible_to(request.user).exclude(assignee=None).values("assignee_id")
    return get_user_model()._default_manager.filter(pk__in=ids)


class RequestFilterSet(WagtailFilterSet):
    DUE_CHOICES = [
        ("overdue", gettext_lazy("Overdue")),
        ("soon", gettext_lazy("Due within the reminder period")),
        ("open", gettext_lazy("Open")),
    ]

    assignee = django_filters.ModelChoiceFilter(label=gettext_lazy("Assignee"), queryset=_assignees)
    due = django_filters.ChoiceFilter(
        label=gettext_lazy("Deadline"), choices=DUE_CHOICES, method="filter_due"
    )

    class Meta:
        model = DataSubjectRequest
        fields = ["kind", "status", "assignee"]

    def filter_due(self, queryset, name, value):
        today = timezone.localdate()
        open_requests = queryset.filter(status__in=list(DataSubjectRequest.OPEN))
        if value == "overdue":
            return open_requests.filter(due_on__lt=today)
        if value == "soon":
            return open_requests.filter(pk__in=due_soon(today).values("pk"))
        if value == "open":
            return open_requests
        return queryset


def _due_text(req: DataSubjectRequest) -> str:
    if req.due_on is None:
        return ""
    if req.is_overdue():
        return _("%(date)s – overdue") % {"date": req.due_on.isoformat()}
    return req.due_on.isoformat()


class DueColumn(StatusTagColumn):
    """The due date; an overdue open request's is shown as a highlighted tag."""

    def get_primary(self, instance):
        return instance.is_overdue()

    def get_value(self, instance):
        return _due_text(instance)


class RequestIndexView(IndexView):
    def get_base_queryset(self):
        return requests_visible_to(self.request.user).select_related("assignee")


# --- one request ---------------------------------------------------------------------------------


class VisibleRequestMixin:
    """Every view of one request finds it only among the requests the user may see."""

    def get_object(self, *args, **kwargs):
        pk = self.kwargs.get("pk")
        req = requests_visible_to(self.request.user).filter(pk=pk).first()
        if req is None:
            raise Http404
        return req


class RequestInspectView(VisibleRequestMixin, InspectView):
    template_name = "weticket_wagtail/privacy/admin/request_inspect.html"
    action_url_name = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        req = self.object
        user = self.request.user
        records = visible_records(req, user)
        contact = is_privacy_contact(user)
        tenants = set(req.tenants.values_list("tenant_id", flat=True))
        if not contact:
            tenants &= user_tenant_ids(user)
        context.update(
            req=req,
            overdue=req.is_overdue(),
            records=request_service.summary_labels(records.counts()),
            records_total=records.total,
            tenants=sorted(tenant_names(tenants).values()),
            flags=flags.flags_for(req.email) if req.email else [],
            audit=list(req.audit_entries.select_related("actor").order_by("created_at", "pk")),
            actions=self.actions(req, user),
            is_contact=contact,
        )
        return context

    def actions(self, req: DataSubjectRequest, user) -> list[tuple[str, str]]:
        """``(label, url)`` of the actions that fit ``req`` for ``user``."""
        names = []
        if req.is_open and may_handle(user):
            names += ["assign", "status", "note", "reply", "extend", "rectify", "reject"]
            if req.kind in (Kind.ACCESS, Kind.PORTABILITY):
                names += ["export_link"] if is_privacy_contact(user) else []
            elif req.kind == Kind.ERASURE:
                names += ["download", "erase"] if is_privacy_contact(user) else []
            else:
                names += ["complete"]
            if req.kind in (Kind.RESTRICTION, Kind.OBJECTION) and is_privacy_contact(user):
                names += ["flag"]
        elif may_handle(user):
            names += ["note"]
        if is_privacy_contact(user) and req.email and flags.flags_for(req.email):
            names += ["lift"]
        return [
            (str(ACTIONS[name].label), reverse(self.action_url_name, args=[req.pk, name]))
            for name in dict.fromkeys(names)
        ]


# --- actions -------------------------------------------------------------------------------------


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=gettext_lazy("Assign to"), queryset=None, required=False
    )

    def __init__(self, *args, user=None, req=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = handlers_for(user)
        self.fields["assignee"].initial = req.assignee_id or user.pk


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[(s.value, s.label) for s in request_service.HANDLER_STATUSES],
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea)


class NoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), widget=forms.Textarea)


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(
        label=gettext_lazy("Extend by"),
        coerce=int,
        choices=[(n, gettext_lazy("%(n)s month(s)") % {"n": n}) for n in range(1, 3)],
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (emailed to the requester)"), widget=forms.Textarea
    )


class ReplyForm(forms.Form):
    message = forms.CharField(label=gettext_lazy("Message to the requester"), widget=forms.Textarea)
    waiting = forms.BooleanField(
        label=gettext_lazy("Wait for their answer (status: waiting for the requester)"),
        required=False,
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why (emailed to the requester, with where to complain)"),
        widget=forms.Textarea,
    )


class CompleteForm(forms.Form):
    message = forms.CharField(
        label=gettext_lazy("Answer to the requester"),
        required=False,
        widget=forms.Textarea,
        help_text=gettext_lazy("What was done, or the outcome of the review or complaint."),
    )


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I downloaded the export. Erase this person's personal data everywhere; keep only "
            "what the law requires, without their name or contact details."
        )
    )


class FlagForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Limit"), choices=SubjectFlag.Kind.choices)
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, widget=forms.Textarea)
    complete = forms.BooleanField(
        label=gettext_lazy("Close the request as done and tell the requester"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, req=None, **kwargs):
        super().__init__(*args, **kwargs)
        if req is not None and req.kind == Kind.OBJECTION:
            self.fields["kind"].initial = SubjectFlag.Kind.OBJECTION


class LiftForm(forms.Form):
    flag = forms.ModelChoiceField(label=gettext_lazy("Limit to lift"), queryset=None)
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False)

    def __init__(self, *args, req=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["flag"].queryset = flags.active_flags().filter(email=req.email)


def rectify_form_class(records: SubjectRecords) -> type[forms.Form]:
    """A form with one field per correctable field of the records, prefilled with the most
    recent value (other values the rows hold are listed in the help text)."""
    fields = {}
    for field in rectification.correctable_fields(records):
        values = [v for v in rectification.current_values(records, field) if v not in (None, "")]
        form_field = field.model_field.formfield(required=False)
        form_field.label = field.label
        form_field.initial = values[0] if values else ""
        if len(values) > 1:
            form_field.help_text = _("Also held: %(values)s") % {
                "values": ", ".join(str(v) for v in values[1:5])
            }
        fields[field.key] = form_field
    fields["note"] = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea)
    return type("RectifyForm", (forms.Form,), fields)


def changed_values(form: forms.Form) -> dict:
    return {
        key: value
        for key, value in form.cleaned_data.items()
        if key != "note" and key in form.changed_data
    }


class Action:
    """One action on a request: its label, its form, what it calls, who may use it."""

    def __init__(self, label, form_class, perform, *, contact_only=False, open_only=True):
        self.label = label
        self.form_class = form_class
        self.perform = perform
        self.contact_only = contact_only
        self.open_only = open_only


def _assign(view, data):
    request_service.assign(view.object, data["assignee"], by=view.request.user)
    return _("Request %(ref)s is assigned.") % {"ref": view.object.reference}


def _status(view, data):
    request_service.change_status(
        view.object, data["status"], by=view.request.user, note=data["note"]
    )
    return _("Request %(ref)s is updated.") % {"ref": view.object.reference}


def _note(view, data):
    request_service.add_note(view.object, data["note"], by=view.request.user)
    return _("The note is added to %(ref)s.") % {"ref": view.object.reference}


def _extend(view, data):
    request_service.extend(view.object, data["months"], data["reason"], by=view.request.user)
    return _("The deadline of %(ref)s is extended; the requester is told why.") % {
        "ref": view.object.reference
    }


def _reply(view, data):
    request_service.reply(
        view.object, data["message"], by=view.request.user, waiting=data["waiting"]
    )
    return _("Your reply to %(ref)s is being sent.") % {"ref": view.object.reference}


def _reject(view, data):
    request_service.reject(view.object, data["reason"], by=view.request.user)
    return _("Request %(ref)s is rejected; the requester is told why.") % {
        "ref": view.object.reference
    }


def _complete(view, data):
    request_service.complete(view.object, by=view.request.user, message=data["message"])
    return _("Request %(ref)s is completed; the requester is told.") % {
        "ref": view.object.reference
    }


def _export_link(view, data):
    export.fulfil_access(view.object, by=view.request.user, message=data["message"])
    return _("The download link for %(ref)s is being emailed.") % {"ref": view.object.reference}


def _erase(view, data):
    result = erasure.erase_subject(view.object, by=view.request.user)
    return _("Erased: %(count)s records of %(ref)s anonymised or removed.") % {
        "count": result.total,
        "ref": view.object.reference,
    }


def _flag(view, data):
    req = view.object
    flags.set_flag(
        req.email, data["kind"], by=view.request.user, request=req, reason=data["reason"]
    )
    if data["complete"]:
        request_service.complete(
            req, by=view.request.user, message=str(flags.describe(data["kind"]))
        )
    return _("The limit is in force for the subject of %(ref)s.") % {"ref": view.object.reference}


def _lift(view, data):
    flags.lift_flag(data["flag"], by=view.request.user, reason=data["reason"])
    return _("The limit is lifted for the subject of %(ref)s.") % {"ref": view.object.reference}


def _rectify(view, data):
    changes = changed_values(view.form)
    if not changes:
        raise RequestError(_("Nothing was changed."))
    counts = rectification.rectify(
        visible_records(view.object, view.request.user),
        changes,
        by=view.request.user,
        request=view.object,
        note=data.get("note", ""),
    )
    return _("%(rows)s records corrected for %(ref)s.") % {
        "rows": sum(counts.values()),
        "ref": view.object.reference,
    }


ACTIONS: dict[str, Action] = {
    "assign": Action(gettext_lazy("Assign"), AssignForm, _assign),
    "status": Action(gettext_lazy("Change status"), StatusForm, _status),
    "note": Action(gettext_lazy("Add a note"), NoteForm, _note, open_only=False),
    "reply": Action(gettext_lazy("Reply to the requester"), ReplyForm, _reply),
    "extend": Action(gettext_lazy("Extend the deadline"), ExtendForm, _extend),
    "rectify": Action(gettext_lazy("Correct personal data"), None, _rectify),
    "reject": Action(gettext_lazy("Reject"), RejectForm, _reject),
    "complete": Action(gettext_lazy("Complete"), CompleteForm, _complete),
    "export_link": Action(
        gettext_lazy("Send the export"), CompleteForm, _export_link, contact_only=True
    ),
    "download": Action(gettext_lazy("Download the export"), None, None, contact_only=True),
    "erase": Action(gettext_lazy("Erase"), EraseForm, _erase, contact_only=True),
    "flag": Action(gettext_lazy("Limit processing"), FlagForm, _flag, contact_only=True),
    "lift": Action(
        gettext_lazy("Lift a limit"), LiftForm, _lift, contact_only=True, open_only=False
    ),
}


class RequestActionView(VisibleRequestMixin, WagtailAdminTemplateMixin, TemplateView):
    """GET shows the action's form; a valid POST calls its service and returns to the request."""

    template_name = "weticket_wagtail/privacy/admin/request_action.html"
    index_url_name = None
    inspect_url_name = None
    header_icon = "help"

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        self.action_name = kwargs["action"]
        self.action = ACTIONS.get(self.action_name)
        if self.action is None:
            raise Http404
        if not may_handle(request.user):
            raise PermissionDenied
        if self.action.contact_only and not is_privacy_contact(request.user):
            raise PermissionDenied
        if self.action.open_only and not self.object.is_open:
            messages.error(request, _("This request is closed."))
            return HttpResponseRedirect(self.inspect_url)
        if self.action_name == "download":
            return self.download()
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def inspect_url(self) -> str:
        return reverse(self.inspect_url_name, args=[self.object.pk])

    def get_page_title(self):
        return str(self.action.label)

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": _("Data-subject requests")},
            {"url": self.inspect_url, "label": str(self.object)},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def make_form(self, data=None) -> forms.Form:
        if self.action_name == "rectify":
            return rectify_form_class(visible_records(self.object, self.request.user))(data)
        kwargs = {}
        if self.action.form_class is AssignForm:
            kwargs = {"user": self.request.user, "req": self.object}
        elif self.action.form_class in (FlagForm, LiftForm):
            kwargs = {"req": self.object}
        return self.action.form_class(data, **kwargs)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.make_form()))

    def post(self, request, *args, **kwargs):
        self.form = self.make_form(request.POST)
        if self.form.is_valid():
            try:
                message = self.action.perform(self, self.form.cleaned_data)
            except RequestError as exc:
                self.form.add_error(None, exc.message)
            else:
                messages.success(request, message)
                return HttpResponseRedirect(self.inspect_url)
        return self.render_to_response(self.get_context_data(form=self.form), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            req=self.object,
            action_name=self.action_name,
            inspect_url=self.inspect_url,
            max_extension=MAX_EXTENSION_MONTHS,
            erase_policy=weticket_settings.PRIVACY_ERASURE_FUTURE_TICKETS,
            download_url=reverse(
                self.request.resolver_match.view_name, args=[self.object.pk, "download"]
            ),
        )
        return context

    def download(self) -> HttpResponse:
        data = export.export_for_staff(self.object, by=self.request.user)
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = (
            f'attachment; filename="{export.export_filename(self.object)}"'
        )
        response["Cache-Control"] = "no-store"
        return response


class RectifyRecordView(WagtailAdminTemplateMixin, TemplateView):
    """Correct the personal data of the person a record belongs to (``?record=<label>:<pk>``),
    across every model, as far as the user may see: privacy contacts everywhere, organisation
    staff within their organisations. Reached from an order's admin page."""

    template_name = "weticket_wagtail/privacy/admin/request_action.html"
    page_title = gettext_lazy("Correct personal data")
    header_icon = "user"

    def dispatch(self, request, *args, **kwargs):
        if not may_handle(request.user):
            raise PermissionDenied
        self.ref = request.GET.get("record", "")
        self.email = self.subject_email(self.ref, request.user)
        if not self.email:
            raise Http404
        records = personal_data.find(self.email)
        if not is_privacy_contact(request.user):
            records = records.restricted_to(user_tenant_ids(request.user))
        self.records = records
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def subject_email(ref: str, user) -> str:
        """The address of the person record ``ref`` belongs to, if ``user`` may see the row."""
        label, _sep, pk = ref.rpartition(":")
        for registration in personal_data.registrations_of(label):
            if not registration.email:
                continue
            rows = registration.model._default_manager.filter(pk=pk) if pk.isdigit() else None
            if rows is None:
                return ""
            if not is_privacy_contact(user):
                if not registration.tenant:
                    return ""
                rows = rows.filter(**{f"{registration.tenant}__in": user_tenant_ids(user)})
            value = rows.values_list(registration.email, flat=True).first()
            return value or ""
        return ""

    def next_url(self) -> str:
        target = self.request.GET.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, {self.request.get_host()}):
            return target
        return reverse("wagtailadmin_home")

    def get(self, request, *args, **kwargs):
        return self.render_to_response(
            self.get_context_data(form=rectify_form_class(self.records)())
        )

    def post(self, request, *args, **kwargs):
        form = rectify_form_class(self.records)(request.POST)
        if form.is_valid():
            changes = changed_values(form)
            try:
                if not changes:
                    raise RequestError(_("Nothing was changed."))
                counts = rectification.rectify(
                    self.records, changes, by=request.user, note=form.cleaned_data["note"]
                )
            except RequestError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("%(rows)s records corrected.") % {"rows": sum(counts.values())},
                )
                return HttpResponseRedirect(self.next_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(action_name="rectify", inspect_url=self.next_url(), req=None)
        return context


# --- the viewset ---------------------------------------------------------------------------------


class DataSubjectRequestViewSet(ModelViewSet):
    model = DataSubjectRequest
    icon = "help"
    menu_label = gettext_lazy("Requests")
    add_to_reference_index = False
    index_view_class = RequestIndexView
    inspect_view_class = RequestInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = [
        TitleColumn(
            "reference",
            label=gettext_lazy("Reference"),
            url_name="weticket_privacy_requests:inspect",
            sort_key="reference",
        ),
        "kind",
        StatusTagColumn(
            "status",
            label=gettext_lazy("Status"),
            accessor="get_status_display",
            primary=lambda req: req.is_open,
        ),
        DueColumn("due_on", label=gettext_lazy("Due"), sort_key="due_on"),
        Column("assignee", label=gettext_lazy("Assignee")),
        DateColumn("received_at", label=gettext_lazy("Received"), sort_key="received_at"),
    ]
    filterset_class = RequestFilterSet
    search_fields = ["reference"]
    search_backend_name = None
    ordering = ["due_on", "received_at"]
    list_per_page = 50

    DISABLED_URL_NAMES = (
        "add_url_name",
        "edit_url_name",
        "delete_url_name",
        "copy_url_name",
        "history_url_name",
        "usage_url_name",
    )

    if WAGTAIL_VERSION < (8, 0):

        @cached_property
        def permission_policy(self):
            return REQUEST_POLICY

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        view_kwargs.update(dict.fromkeys(self.DISABLED_URL_NAMES))
        return view_kwargs

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            action_url_name=self.get_url_name("action"), **kwargs
        )

    @property
    def action_view(self):
        return self.construct_view(
            RequestActionView,
            index_url_name=self.get_url_name("index"),
            inspect_url_name=self.get_url_name("inspect"),
            header_icon=self.icon,
        )

    @property
    def rectify_record_view(self):
        return RectifyRecordView.as_view()

    def get_urlpatterns(self):
        conv = getattr(self, "pk_path_converter", "str")  # Wagtail 7.0 has no converter
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path(f"inspect/<{conv}:pk>/", self.inspect_view, name="inspect"),
            path(f"action/<{conv}:pk>/<slug:action>/", self.action_view, name="action"),
            path("rectify/", self.rectify_record_view, name="rectify_record"),
        ]

    def get_permissions_to_register(self):
        # "view" and "change" scope to one's organisations; "handle all" is the privacy contact.
        return Permission.objects.filter(
            content_type__app_label="weticket_privacy",
            codename__in=[
                "view_datasubjectrequest",
                "change_datasubjectrequest",
                "handle_all_requests",
            ],
        )


# --- the dashboard -------------------------------------------------------------------------------


class RequestsDuePanel(Component):
    """Requests due within ``PRIVACY_REMINDER_DAYS`` or overdue, of those the user may see."""

    name = "weticket_privacy_requests_due"
    template_name = "weticket_wagtail/privacy/admin/requests_panel.html"
    order = 140

    def __init__(self, user, index_url: str = ""):
        self.user = user
        self.index_url = index_url

    def get_context_data(self, parent_context=None):
        today = timezone.localdate()
        visible = requests_visible_to(self.user)
        soon = list(due_soon(today).filter(pk__in=visible.values("pk"))[:20])
        return {
            "overdue": [req for req in soon if req.due_on < today],
            "due_soon": [req for req in soon if req.due_on >= today],
            "days": weticket_settings.PRIVACY_REMINDER_DAYS,
            "index_url": self.index_url,
            "today": today,
        }

    def render_html(self, parent_context=None):
        from django.template.loader import get_template

        context = self.get_context_data(parent_context)
        if not context["overdue"] and not context["due_soon"]:
            return ""
        return get_template(self.template_name).render(context)


def rectify_record_url(record_ref: str, *, user, next_url: str = "") -> str:
    """Where ``user`` corrects the personal data of the person record ``record_ref``
    (``<label>:<pk>``) belongs to; ``""`` when they may not. For other apps' admin pages."""
    if not may_handle(user):
        return ""
    query = urlencode({"record": record_ref, **({"next": next_url} if next_url else {})})
    return f"{reverse('weticket_privacy_requests:rectify_record')}?{query}"
