from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.labels import options

DOCUMENT_KIND_LABELS = {
    "exhibit": _l("Exhibit / evidence"),
    "submission": _l("Submission"),
    "correspondence": _l("Correspondence"),
    "procedural": _l("Procedural document"),
}


class UploadForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file."))],
                     description=_l("PDF, PNG, JPEG, DOCX, XLSX, ODT or plain text."))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(_l("Type"), choices=options(DOCUMENT_KIND_LABELS.items()))
