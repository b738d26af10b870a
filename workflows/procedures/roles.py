"""The roles a person can hold in a case. A side is a party with its counsel."""

CLAIMANT = "claimant"
CLAIMANT_COUNSEL = "claimant_counsel"
RESPONDENT = "respondent"
RESPONDENT_COUNSEL = "respondent_counsel"
MEDIATOR = "mediator"
ARBITRATOR = "arbitrator"
CASE_MANAGER = "case_manager"

CLAIMANT_SIDE = frozenset({CLAIMANT, CLAIMANT_COUNSEL})
RESPONDENT_SIDE = frozenset({RESPONDENT, RESPONDENT_COUNSEL})
PARTIES = CLAIMANT_SIDE | RESPONDENT_SIDE
NEUTRALS = frozenset({MEDIATOR, ARBITRATOR})
CASE_ROLES = PARTIES | NEUTRALS

SIDE_OF_ROLE = {
    CLAIMANT: "claimant",
    CLAIMANT_COUNSEL: "claimant",
    RESPONDENT: "respondent",
    RESPONDENT_COUNSEL: "respondent",
}


def side_of(roles: frozenset[str] | set[str]) -> str | None:
    """The party side a set of roles belongs to, if any."""
    for role in roles:
        if role in SIDE_OF_ROLE:
            return SIDE_OF_ROLE[role]
    return None
