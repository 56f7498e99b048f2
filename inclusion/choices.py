"""The scheme's vocabularies: every list a form, the API or a report offers, in one place.

Equality monitoring follows the ONS 2021 Census categories, and every question allows
"prefer not to say" as well as leaving it unanswered.
"""

from django.db import models

PREFER_NOT_TO_SAY = ("prefer_not_to_say", "Prefer not to say")


class OrganisationKind(models.TextChoices):
    COUNCIL = "council", "Council"
    CHARITY = "charity", "Charity"
    LIBRARY = "library", "Library"
    COLLEGE = "college", "College"
    HOUSING = "housing", "Housing association"
    HEALTH = "health", "Health"
    EMPLOYMENT_SUPPORT = "employment_support", "Employment support"
    OTHER = "other", "Other"


class LocalAuthority(models.TextChoices):
    BIRMINGHAM = "birmingham", "Birmingham"
    COVENTRY = "coventry", "Coventry"
    DUDLEY = "dudley", "Dudley"
    SANDWELL = "sandwell", "Sandwell"
    SOLIHULL = "solihull", "Solihull"
    WALSALL = "walsall", "Walsall"
    WOLVERHAMPTON = "wolverhampton", "Wolverhampton"
    OTHER = "other", "Outside the West Midlands combined authority"


class Role(models.TextChoices):
    FRONTLINE = "frontline", "Frontline"
    COORDINATOR = "coordinator", "Coordinator"
    VIEWER = "viewer", "Viewer (reports only)"
    ADMINISTRATOR = "administrator", "Administrator"


class AgeBand(models.TextChoices):
    UNDER_18 = "under_18", "Under 18"
    AGE_18_24 = "18_24", "18 to 24"
    AGE_25_34 = "25_34", "25 to 34"
    AGE_35_44 = "35_44", "35 to 44"
    AGE_45_54 = "45_54", "45 to 54"
    AGE_55_64 = "55_64", "55 to 64"
    AGE_65_74 = "65_74", "65 to 74"
    AGE_75_PLUS = "75_plus", "75 or over"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone call"
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    POST = "post", "Letter"
    IN_PERSON = "in_person", "In person only"


class Gender(models.TextChoices):
    WOMAN = "woman", "Woman"
    MAN = "man", "Man"
    NON_BINARY = "non_binary", "Non-binary"
    SELF_DESCRIBE = "self_describe", "Describes themselves another way"
    PREFER_NOT_TO_SAY = PREFER_NOT_TO_SAY


class Ethnicity(models.TextChoices):
    """ONS 2021 Census ethnic groups (England and Wales), 19 categories."""

    ASIAN_BANGLADESHI = "asian_bangladeshi", "Asian or Asian British: Bangladeshi"
    ASIAN_CHINESE = "asian_chinese", "Asian or Asian British: Chinese"
    ASIAN_INDIAN = "asian_indian", "Asian or Asian British: Indian"
    ASIAN_PAKISTANI = "asian_pakistani", "Asian or Asian British: Pakistani"
    ASIAN_OTHER = "asian_other", "Asian or Asian British: any other Asian background"
    BLACK_AFRICAN = "black_african", "Black, Black British, Caribbean or African: African"
    BLACK_CARIBBEAN = "black_caribbean", "Black, Black British, Caribbean or African: Caribbean"
    BLACK_OTHER = "black_other", "Black, Black British, Caribbean or African: any other background"
    MIXED_WHITE_ASIAN = "mixed_white_asian", "Mixed or multiple: White and Asian"
    MIXED_WHITE_BLACK_AFRICAN = "mixed_white_black_african", "Mixed or multiple: White and Black African"
    MIXED_WHITE_BLACK_CARIBBEAN = "mixed_white_black_caribbean", "Mixed or multiple: White and Black Caribbean"
    MIXED_OTHER = "mixed_other", "Mixed or multiple: any other background"
    WHITE_BRITISH = "white_british", "White: English, Welsh, Scottish, Northern Irish or British"
    WHITE_IRISH = "white_irish", "White: Irish"
    WHITE_GYPSY_TRAVELLER = "white_gypsy_traveller", "White: Gypsy or Irish Traveller"
    WHITE_ROMA = "white_roma", "White: Roma"
    WHITE_OTHER = "white_other", "White: any other White background"
    OTHER_ARAB = "other_arab", "Other ethnic group: Arab"
    OTHER_ANY = "other_any", "Other ethnic group: any other ethnic group"
    PREFER_NOT_TO_SAY = PREFER_NOT_TO_SAY


class YesNo(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    PREFER_NOT_TO_SAY = PREFER_NOT_TO_SAY


class EmploymentStatus(models.TextChoices):
    EMPLOYED = "employed", "Employed"
    SELF_EMPLOYED = "self_employed", "Self-employed"
    UNEMPLOYED = "unemployed", "Unemployed and looking for work"
    STUDENT = "student", "In education or training"
    RETIRED = "retired", "Retired"
    LONG_TERM_SICK = "long_term_sick", "Unable to work because of illness or disability"
    LOOKING_AFTER_HOME = "looking_after_home", "Looking after home or family"
    OTHER = "other", "Other"
    PREFER_NOT_TO_SAY = PREFER_NOT_TO_SAY


class SkillLevel(models.TextChoices):
    """Essential Digital Skills baseline for one skill area."""

    CANNOT = "cannot", "Cannot do this yet"
    WITH_HELP = "with_help", "Can do this with help"
    INDEPENDENT = "independent", "Can do this on their own"


# The equality monitoring questions (fields of Resident), asked when there is time, never required.
EQUALITY_FIELDS = ("gender", "ethnicity", "disability", "employment_status", "low_income", "carer")


# Essential Digital Skills framework (DfE, 2018): foundation skills and the five skill areas.
EDS_AREAS = {
    "eds_foundation": "Foundation skills (turning on a device, using a keyboard, connecting to Wi-Fi)",
    "eds_communicating": "Communicating",
    "eds_handling_information": "Handling information and content",
    "eds_transacting": "Transacting",
    "eds_problem_solving": "Problem solving",
    "eds_being_safe": "Being safe and legal online",
}


class ReferralSource(models.TextChoices):
    SELF = "self", "Came in themselves"
    PARTNER = "partner", "Another partner organisation"
    JOBCENTRE = "jobcentre", "Jobcentre Plus"
    COUNCIL = "council", "Council service"
    HOUSING = "housing", "Housing provider"
    HEALTH = "health", "Health or social care"
    SCHOOL = "school", "School or college"
    COMMUNITY = "community", "Community or faith group"
    OTHER = "other", "Other"


class ConsentAnswer(models.TextChoices):
    GIVEN = "given", "Yes, they agree"
    REFUSED = "refused", "No, they do not agree"


class ConsentPurpose(models.TextChoices):
    PROCESSING = "processing", "Keeping their details to support them"
    SHARING = "sharing", "Sharing their details with partner organisations"
    CONTACT_SMS = "contact_sms", "Contact by text message"
    CONTACT_EMAIL = "contact_email", "Contact by email"


class ConsentChannel(models.TextChoices):
    PAPER = "paper", "Signed paper form"
    ON_SCREEN = "on_screen", "On screen"
    VERBAL = "verbal", "Verbally, in person"
    PHONE = "phone", "Verbally, by phone"


class EventKind(models.TextChoices):
    """The core's kinds of case timeline entry. Each app registers its own kinds in inclusion.registry
    (devices: devices/events.py), so the timeline has one vocabulary without the core knowing the apps."""

    NOTE = "note", "Note"
    REGISTERED = "registered", "Registered"
    DETAILS_UPDATED = "details_updated", "Details updated"
    CONSENT_RECORDED = "consent_recorded", "Consent recorded"
    CONSENT_WITHDRAWN = "consent_withdrawn", "Consent withdrawn"
    CONSENT_REFUSED = "consent_refused", "Consent refused"
    RESTRICTED = "restricted", "Record restricted"
    RESTRICTION_LIFTED = "restriction_lifted", "Restriction lifted"
    CONTACT_PROPOSED = "contact_proposed", "Contact update proposed"
    CONTACT_ACCEPTED = "contact_accepted", "Proposed contact update accepted"
    CONTACT_REJECTED = "contact_rejected", "Proposed contact update rejected"
    ANONYMISED = "anonymised", "Record anonymised"
    RETENTION_CONFIRMED = "retention_confirmed", "Confirmed for anonymising at retention review"
    RETENTION_KEPT = "retention_kept", "Kept at retention review"
