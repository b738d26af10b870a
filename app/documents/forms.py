from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import InputRequired, Length, Optional

from app.fields import DateField
from app.i18n import lazy_gettext as _l
from app.labels import DOCUMENT_KIND_LABELS, SelectChoice, options

FILE_HINT = _l("PDF, PNG, JPEG, DOCX, XLSX, ODT, plain text, e-mail (.eml) or MP4 video.")


class FileEntry(Form):
    """One file and what it is. Rows left without a file are ignored."""

    file = FileField(_l("File"), description=FILE_HINT)
    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)])
    kind = SelectField(_l("Type"), choices=options(DOCUMENT_KIND_LABELS.items()),
                       default="exhibit")
    document_date = DateField(_l("Date of the document"), validators=[Optional()])
    # Checked against the case's own rights and remedies by the service.
    supports = SelectField(_l("Supports (optional)"), choices=[SelectChoice("", "—")],
                           default="", validate_choice=False)


def support_choices(case) -> list[SelectChoice]:
    from app.labels import REMEDY_LABELS

    choices = [SelectChoice("", "—")]
    choices += [SelectChoice(f"right:{r.id}",
                             f"{r.title} ({r.registration_number})".replace(" ()", ""))
                for r in case.rights]
    choices += [SelectChoice(f"remedy:{r.id}", str(REMEDY_LABELS.get(r.kind, r.kind)))
                for r in case.remedies]
    return choices


class UploadForm(FlaskForm):
    files = FieldList(FormField(FileEntry), min_entries=3, max_entries=10)
    scope = RadioField(_l("Who will see these documents"), validators=[InputRequired()])
    confirm = BooleanField(_l("I have checked who will see these documents."),
                           validators=[InputRequired(_l("Confirm who will see the documents."))])


class ReplaceForm(FlaskForm):
    file = FileField(_l("New version"), description=FILE_HINT)
    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)])


class WithdrawForm(FlaskForm):
    """Just the deliberate click (and the CSRF token)."""


class AttachmentsForm(FlaskForm):
    """Files attached to a pleading (the filing, the response, a submission): shared with
    everyone in the case, like the pleading itself."""

    class Meta:
        csrf = False  # part of a form that carries its own token

    files = FieldList(FormField(FileEntry), min_entries=2, max_entries=10)


class FilingDocumentsForm(FlaskForm):
    files = FieldList(FormField(FileEntry), min_entries=3, max_entries=10)
    confirm = BooleanField(
        _l("I understand that, once the complaint is filed, these documents are visible to "
           "everyone in the case."),
        validators=[InputRequired(_l("Confirm who will see the documents."))])
