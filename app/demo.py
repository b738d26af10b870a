"""Demo accounts and sample cases at every stage, made through the real services so the
data is exactly what users would have produced (events, deadlines, emails, PDFs)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.auth.service import join_case
from app.cases.service import take_action
from app.extensions import db
from app.filing import service as filing
from app.models import Case, User
from app.models.types import utcnow

PASSWORD = "sulh-demo-password"  # noqa: S105  (documented demo credential, embedded default only)
# Every demo account's authenticator key, printed in the README so that a person trying the
# demo adds it to an authenticator app once (or runs `flask demo totp EMAIL`). Base32; a
# secret of the embedded demo only, like the password.
TOTP_SECRET = "SULHDEMOSULHDEMOSULHDEMOSULHDEMO"  # noqa: S105

ACCOUNTS = {
    "claimant": ("claimant@demo.sulh.test", "Layla Haddad", "EG", "en", {}),
    "respondent": ("respondent@demo.sulh.test", "Omar Farouk", "AE", "ar", {}),
    "manager": ("manager@demo.sulh.test", "Samira Benali", "MA", "fr",
                {"is_case_manager": True}),
    "mediator": ("mediator@demo.sulh.test", "Dr. Karim Mansour", "JO", "en",
                 {"is_neutral": True}),
    "arbitrator": ("arbitrator@demo.sulh.test", "Prof. Aisha Rahman", "PK", "en",
                   {"is_neutral": True}),
}

DISPUTES = [
    # (claimant name, country, respondent name, country, right, infringement, language)
    ("Nile Textiles S.A.E.", "EG", "Gulf Fashion Trading LLC", "AE",
     ("trademark", "NILE COTTON", "EG-2019-118204", "Egyptian Trademark Office", "EG"),
     "Counterfeit bed linen sold under the NILE COTTON mark.", "en"),
    ("شركة الواحة للتمور", "SA", "Oasis Dates Online", "JO",
     ("domain", "alwaha-dates.com", "", "ICANN-accredited registrar", "SA"),
     "The domain name alwaha-dates.com imitates the claimant's mark.", "ar"),
    ("Atlas Céramique SARL", "MA", "Medina Home Decor", "TN",
     ("design", "Zellige Star tile design", "MA-D-2021-0442", "OMPIC", "MA"),
     "Copies of the registered tile design offered on online marketplaces.", "fr"),
    ("Lahore Software House (Pvt) Ltd", "PK", "Bengal Apps Ltd", "BD",
     ("copyright", "LedgerPro accounting software", "", "", "PK"),
     "Unlicensed copies of LedgerPro distributed as a mobile app.", "en"),
    ("Anatolia Olive Oil A.Ş.", "TR", "Levant Gourmet SAL", "LB",
     ("gi", "Ayvalık Olive Oil", "TR-GI-112", "Turkish Patent and Trademark Office", "TR"),
     "Olive oil from elsewhere sold as Ayvalık Olive Oil.", "en"),
]


def _users() -> dict[str, User]:
    users = {}
    for key, (email, name, country, locale, flags) in ACCOUNTS.items():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            # Verified: the demo's addresses are under .test and receive nothing.
            user = User(email=email, name=name, country=country, locale=locale,
                        email_verified_at=utcnow(), **flags)
            user.set_password(PASSWORD)
            user.totp_secret, user.totp_enrolled_at = TOTP_SECRET, utcnow()
            db.session.add(user)
        users[key] = user
    db.session.flush()
    return users


def _draft(users: dict[str, User], index: int, procedure: str = "med-arb") -> Case:
    claimant, c_country, respondent, r_country, right, infringement, lang = DISPUTES[
        index % len(DISPUTES)]
    user = users["claimant"]
    case = filing.start_draft(user, procedure)
    filing.save_claimant(case, {"capacity": "claimant", "name": claimant, "country": c_country,
                                "address": "12 Corniche Street", "email": user.email,
                                "counsel_name": "Hana Youssef", "counsel_firm": "Youssef & Co.",
                                "counsel_email": "hana@youssef-law.example"}, user)
    filing.save_respondent(case, {"name": respondent, "country": r_country,
                                  "address": "Business Bay Tower 3",
                                  "email": users["respondent"].email}, user)
    kind, title, number, office, country = right
    filing.add_right(case, {"kind": kind, "title": title, "registration_number": number,
                            "office": office, "country": country, "owner": claimant}, user)
    filing.save_infringement(case, {"description": infringement,
                                    "locations": "https://marketplace.example/listing/123",
                                    "since": date(2026, 1, 15)}, user)
    remedies = {"cease_use": True, "cease_use_details": "Stop all use of the mark.",
                "damages": True, "damages_amount": Decimal("25000"), "damages_currency": "USD"}
    if kind == "domain":
        remedies = {"domain_transfer": True, "domain_transfer_details": title}
    filing.save_remedies(case, remedies, user)
    filing.save_proceedings(case, {"language": lang, "mediation_days": "60"}, user)
    return case


def _act(case: Case, name: str, user: User, **data) -> None:
    take_action(case, name, user, data)
    db.session.commit()


def _document(case: Case, user: User, name: str, title: str, text: str, *,
              scope: str = "participants", kind: str = "exhibit") -> None:
    import io

    from app.documents.service import Incoming, add_documents

    add_documents(case, user, [Incoming(io.BytesIO(text.encode()), name, title, kind)],
                  scope=scope)
    db.session.commit()


def seed() -> list[str]:
    users = _users()
    claimant, respondent = users["claimant"], users["respondent"]
    manager, mediator, arbitrator = users["manager"], users["mediator"], users["arbitrator"]
    made: list[Case] = []

    def filed(index: int, procedure: str = "med-arb") -> Case:
        case = _draft(users, index, procedure)
        _act(case, "submit", claimant)
        made.append(case)
        return case

    def served(index: int, procedure: str = "med-arb") -> Case:
        case = filed(index, procedure)
        if procedure == "expedited":
            _act(case, "confirm_fee", manager)
        _act(case, "accept_filing", manager)
        join_case(case, respondent, "respondent")
        db.session.commit()
        return case

    def in_mediation(index: int) -> Case:
        case = served(index)
        _act(case, "respond", respondent, position="contest",
             statement="The respondent's products are genuine parallel imports.")
        _act(case, "appoint_mediator", manager, neutral_id=mediator.id)
        _act(case, "send_message", mediator, channel="joint",
             body="Welcome to the mediation. Let us agree a timetable.")
        return case

    def in_arbitration(index: int) -> Case:
        case = in_mediation(index)
        _act(case, "end_mediation", mediator)
        _act(case, "file_defence", respondent, title="Answer and statement of defence",
             body="The goods were bought from the claimant's own distributor.")
        _act(case, "appoint_arbitrator", manager, neutral_id=arbitrator.id)
        _act(case, "file_submission", claimant, title="Statement of claim",
             body="The claimant relies on its registration and the test purchases.")
        return case

    draft = _draft(users, 0)
    db.session.commit()
    filed(1)
    deficient = filed(2)
    _act(deficient, "issue_deficiency", manager,
         notice="Attach the registration certificate for the design.")
    served(3)
    mediation = in_mediation(4)
    _act(mediation, "send_message", claimant, channel="caucus:claimant",
         body="In confidence: we could accept a licence at 5 % royalties.")
    _document(mediation, claimant, "test-purchase.txt", "Test purchase receipt",
              "Receipt no. 4471 — 12 handbags bearing the NILE mark, bought online.")
    _document(mediation, respondent, "supplier-invoice.txt", "Supplier invoice",
              "Invoice from the authorised distributor for the goods in dispute.")
    _document(mediation, claimant, "royalty-model.txt", "Royalty model (caucus)",
              "In confidence: licence at 5 % royalties over 2 years.",
              scope="caucus:claimant", kind="correspondence")
    _act(mediation, "propose_settlement", mediator,
         terms="1. The respondent stops using the mark within 30 days.\n"
               "2. The claimant grants a 2-year licence for remaining stock.")
    in_arbitration(0)
    deliberating = in_arbitration(1)
    _act(deliberating, "close_proceedings", arbitrator)
    awarded = in_arbitration(0)
    _act(awarded, "close_proceedings", arbitrator)
    orders = {str(r.id): {"granted": r.kind != "damages",
                          "text": "Granted as sought." if r.kind != "damages"
                          else "Denied: no loss was proven."} for r in awarded.remedies}
    _act(awarded, "draft_award", arbitrator,
         findings="The claimant owns the registered mark; the respondent sold counterfeit "
                  "goods under an identical sign.",
         reasoning="Use of an identical sign for identical goods without consent infringes "
                   "the registered mark. No evidence of loss supports the damages claimed.",
         costs="Each party bears its own costs; the respondent bears the Centre's fees.",
         orders=orders)
    _act(awarded, "issue_award", arbitrator)
    withdrawn = filed(3)
    _act(withdrawn, "withdraw", claimant)
    settled = in_mediation(2)
    _act(settled, "propose_settlement", respondent,
         terms="The respondent withdraws the listings within 7 days and pays USD 3,000.")
    _act(settled, "accept_settlement", claimant)
    # The other procedures: a domain name in the expedited procedure, the respondent having
    # taken its automatic extension; a three-member arbitration awaiting nominations.
    expedited = served(1, "expedited")
    _act(expedited, "request_automatic_extension", respondent)
    tribunal = served(0, "arbitration")
    _act(tribunal, "respond", respondent, position="contest",
         statement="The goods were lawfully imported.")
    _act(tribunal, "nominate_arbitrator", claimant, neutral_id=arbitrator.id)
    _bounced_email(made[2])  # the case served on the respondent
    return [draft.reference] + [c.number for c in made if c.number]


def _bounced_email(case: Case) -> None:
    """What /manage/jobs shows when a message could not be delivered for two days: a notice
    to a respondent's mailbox that does not exist (its retry goes to the log here)."""
    from app.models import Job, OutboxEmail

    message = OutboxEmail(case_id=case.id, to_addr="legal@gulf-fashion.example",
                          subject=f"{case.number}: Complaint served",
                          body="The complaint has been served on you.\n", attempts=9,
                          last_error="(550, b'5.1.1 <legal@gulf-fashion.example>: mailbox "
                                     "unavailable')")
    db.session.add(message)
    db.session.flush()
    db.session.add(Job(name="app.services.notify.deliver", kwargs={"email_id": message.id},
                       status="failed", attempts=9, finished_at=utcnow(),
                       last_error="SMTPRecipientsRefused: {'legal@gulf-fashion.example': "
                                  "(550, b'5.1.1 mailbox unavailable')}"))
    db.session.commit()
