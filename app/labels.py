"""Translated names for the codes stored in the database (kinds, positions, roles, countries)."""

from __future__ import annotations

from babel import Locale
from flask_babel import get_locale
from wtforms.fields.choices import SelectChoice

from app.i18n import lazy_gettext as _l

IP_RIGHT_LABELS = {
    "trademark": _l("Trademark"),
    "copyright": _l("Copyright"),
    "patent": _l("Patent"),
    "design": _l("Industrial design"),
    "gi": _l("Geographical indication"),
    "domain": _l("Domain name"),
}
REMEDY_LABELS = {
    "cease_use": _l("Cease use"),
    "takedown": _l("Takedown of infringing listings or content"),
    "domain_transfer": _l("Transfer of the domain name"),
    "domain_cancellation": _l("Cancellation of the domain name"),
    "damages": _l("Damages"),
    "licence": _l("Licence"),
    "coexistence": _l("Coexistence terms"),
    "other": _l("Other remedy"),
}
POSITION_LABELS = {
    "consent": _l("Consents to the remedies sought"),
    "contest": _l("Contests the complaint"),
    "settle": _l("Proposes a settlement"),
}
ROLE_LABELS = {
    "claimant": _l("Claimant"),
    "claimant_counsel": _l("Counsel for the claimant"),
    "respondent": _l("Respondent"),
    "respondent_counsel": _l("Counsel for the respondent"),
    "mediator": _l("Mediator"),
    "arbitrator": _l("Arbitrator"),
    "case_manager": _l("Case manager"),
    "system": _l("Sulh (automatic)"),
    "institution": _l("The Centre"),
    "tribunal": _l("The tribunal"),
}
CHANNEL_LABELS = {
    "joint": _l("Joint session (all parties and the mediator)"),
    "caucus:claimant": _l("Private caucus: claimant side and mediator"),
    "caucus:respondent": _l("Private caucus: respondent side and mediator"),
}
LANGUAGE_LABELS = {"en": "English", "ar": "العربية", "fr": "Français"}
DECISION_LABELS = {"award": _l("Final award"), "settlement": _l("Settlement agreement")}
SIDE_LABELS = {"claimant": _l("Claimant"), "respondent": _l("Respondent")}


# Who will see a document, by its scope.
SCOPE_LABELS = {
    "participants": _l("Everyone in the case"),
    "mediation": _l("Everyone in the mediation (not the arbitrator)"),
    "tribunal": _l("The arbitrator and the Centre"),
    "institution": _l("The Centre only"),
    "caucus:claimant": _l("Caucus: the claimant's side and the mediator"),
    "caucus:respondent": _l("Caucus: the respondent's side and the mediator"),
}
DOCUMENT_KIND_LABELS = {
    "exhibit": _l("Exhibit / evidence"),
    "submission": _l("Submission"),
    "correspondence": _l("Correspondence"),
    "procedural": _l("Procedural document"),
    "decision": _l("Decision"),
}
# The Centre's corrections to a country's calendar.
CALENDAR_DAY_LABELS = {
    "holiday": _l("Public holiday on this date (confirmed or moved here)"),
    "removed": _l("No holiday on this date (an estimated date that did not happen)"),
    "closure": _l("The Centre is closed (for every addressee)"),
}
# The procedural history printed in a decision: the action that marks each step.
KEY_DATES = {
    "submit": _l("Complaint filed"),
    "accept_filing": _l("Commencement and service of the complaint"),
    "respond": _l("Response filed"),
    "proceed_in_default": _l("Respondent in default"),
    "appoint_mediator": _l("Mediator appointed"),
    "end_mediation": _l("Mediation ended without settlement"),
    "file_defence": _l("Answer and statement of defence filed"),
    "appoint_arbitrator": _l("Arbitrator appointed"),
    "nominate_presiding": _l("Tribunal constituted"),
    "appoint_presiding": _l("Tribunal constituted"),
    "suspend_proceedings": _l("Proceedings suspended for settlement"),
    "close_proceedings": _l("Proceedings closed"),
}
ARBITRATOR_CAPACITY_LABELS = {
    "presiding": _l("Presiding arbitrator"),
    "claimant_nominee": _l("Arbitrator nominated by the claimant"),
    "respondent_nominee": _l("Arbitrator nominated by the respondent"),
    "sole": _l("Sole arbitrator"),
}

def countries(locale: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of every ISO 3166 country, sorted by name in the reader's language."""
    loc = Locale.parse(locale or str(get_locale() or "en"))
    items = [(code, name) for code, name in loc.territories.items()
             if len(code) == 2 and code.isalpha() and code not in {"ZZ", "EU", "UN", "EZ", "QO"}]
    return sorted(items, key=lambda item: item[1])


def country_name(code: str | None, locale: str | None = None) -> str:
    if not code:
        return ""
    loc = Locale.parse(locale or str(get_locale() or "en"))
    return loc.territories.get(code.upper(), code)
DEADLINE_STATUS_LABELS = {"open": _l("running"), "met": _l("met"), "expired": _l("expired")}
# Events recorded outside the procedure's actions.
EVENT_LABELS = {
    "create_draft": _l("Draft started"),
    "update_filing": _l("Complaint edited"),
    "join": _l("Joined the case"),
    "upload_document": _l("Document added"),
    "download_document": _l("Document downloaded"),
    "replace_document": _l("New version of a document added"),
    "withdraw_document": _l("Document withdrawn"),
    "download_bundle": _l("Case bundle downloaded"),
    "download_decision": _l("Decision downloaded"),
    "decision_rendered": _l("Decision issued and sealed"),
    "decision_render_failed": _l("Decision could not be rendered"),
    "recompute_deadline": _l("Time limit recomputed after a calendar correction"),
}


def options(pairs) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]
