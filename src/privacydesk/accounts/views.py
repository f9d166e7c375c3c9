"""Thin views for sign-in, enrolment and passwords; the work is in accounts.services and
accounts.credentials."""

from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import PasswordChangeView, PasswordResetConfirmView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from privacydesk.accounts import credentials, lockout, services
from privacydesk.accounts.forms import TokenForm

# From the third failure of five, the sign-in page says how many attempts remain.
WARN_WHEN_LEFT = 2


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


def _with_next(name: str, request: HttpRequest) -> str:
    return f"{reverse(name)}?{urlencode({'next': _next_url(request)})}"


def _context(request: HttpRequest, **extra) -> dict:
    return {**admin.site.each_context(request), "next": _next_url(request), **extra}


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    """Step 1: username and password. Axes counts failures and locks out."""
    user = request.user
    if user.is_authenticated and user.is_staff:
        if user.is_verified():
            return redirect(_next_url(request))
        return redirect(_with_next("admin:otp", request))
    form = AdminAuthenticationForm(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            auth_login(request, form.get_user())
            return redirect(_with_next("admin:otp", request))
        _warn_before_lockout(request, form)
    return render(request, "accounts/login.html", _context(request, form=form, title=_("Sign in")))


def _warn_before_lockout(request: HttpRequest, form: AdminAuthenticationForm) -> None:
    """Say how many tries are left once few are (P3: a lock-out should not come unannounced).

    The count is the same whether or not the account exists, so it tells an outsider nothing.
    """
    username = (request.POST.get("username") or "").strip()
    if not username:
        return
    left = lockout.attempts_left(request, username)
    if 0 < left <= WARN_WHEN_LEFT:
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        form.add_error(
            None,
            ngettext(
                "One more failed attempt locks this account for %(minutes)d minutes.",
                "%(count)d more failed attempts lock this account for %(minutes)d minutes.",
                left,
            )
            % {"count": left, "minutes": minutes},
        )


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
def otp(request: HttpRequest) -> HttpResponse:
    """Step 2: a code from the authenticator app (enrolment first if the user has none)."""
    user = request.user
    if not (user.is_authenticated and user.is_staff):
        return redirect(_with_next("admin:login", request))
    if user.is_verified():
        return redirect(_next_url(request))
    if services.confirmed_device(user) is None:
        return redirect(_with_next("admin:otp_enrol", request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.verify_second_factor(request, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", _("This code is not valid. Wait for a new code and try again."))
    return render(
        request, "accounts/otp.html", _context(request, form=form, title=_("Two-step sign-in"))
    )


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: scan the QR code, confirm with a first code."""
    user = request.user
    if not (user.is_authenticated and user.is_staff):
        return redirect(_with_next("admin:login", request))
    if services.confirmed_device(user) is not None:
        return redirect(_with_next("admin:otp", request))
    device = services.pending_device(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.confirm_enrolment(request, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", _("This code is not valid. Check the time on your phone."))
    return render(
        request,
        "accounts/enrol.html",
        _context(
            request,
            form=form,
            title=_("Set up two-step sign-in"),
            qr_svg=services.enrolment_qr_svg(device),
            secret=services.enrolment_secret(device),
        ),
    )


class PasswordSetView(PasswordResetConfirmView):
    """The page an invitation or reset link opens: the person chooses their own password.

    The link is Django's one-time token (it expires after ``PASSWORD_RESET_TIMEOUT`` and is
    void once the password changed); it works only for an active staff account. Signing in
    afterwards still takes the second factor, or enrolling one.
    """

    template_name = "accounts/password_set.html"
    success_url = reverse_lazy("admin:password_set_done")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        if user is None or not (user.is_active and user.is_staff):
            return None
        return user

    def form_valid(self, form):
        response = super().form_valid(form)
        credentials.password_chosen(user=form.user, how="link")
        AxesProxyHandler.reset_attempts(username=form.user.get_username())
        return response

    def get_context_data(self, **kwargs):
        return {**admin.site.each_context(self.request), **super().get_context_data(**kwargs)}


password_set = PasswordSetView.as_view()


@never_cache
def password_set_done(request: HttpRequest) -> HttpResponse:
    return render(
        request, "accounts/password_set_done.html", _context(request, title=_("Password set"))
    )


class OwnPasswordChangeView(PasswordChangeView):
    """A signed-in staff member changes their own password (old one first); audited."""

    def form_valid(self, form):
        response = super().form_valid(form)
        credentials.password_chosen(user=form.user, how="change")
        return response
