"""The customer registers (R-CUS-01): people, and the entries that tie them to units and to the
site — ownership, tenancy, household, shops, foreign residents, domestic helpers, dogs,
vehicles, special groups, supplier workers and the owners' committee — with move-ins and
ownership transfers, the privacy log and the register settings of a site.

A person is stored once per site: one row however many roles they hold. Identity and phone
numbers are never stored in clear (see `wuye.core.crypto`).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from wuye.core.models import Site, SiteScopedModel
from wuye.estate.models import ParkingSpace, Unit
from wuye.staff.models import Department, Employee


def _hidden(field: models.Field) -> models.Field:
    """A column the audit trail leaves out (ciphertexts and hashes; the masked form is kept)."""
    field.audit_hidden = True
    return field


class RegisterSettings(models.Model):
    """A site's register policy (R-CUS-02 default: verify every register monthly)."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="register_settings")
    verification_months = models.PositiveSmallIntegerField(_("verify every (months)"), default=1)
    expiry_warning_days = models.PositiveSmallIntegerField(
        _("warn of expiry (days ahead)"), default=30
    )

    class Meta:
        verbose_name = _("register settings")
        verbose_name_plural = _("register settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(verification_months__gte=1, verification_months__lte=12),
                name="register_settings_months_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.site)


class Person(SiteScopedModel):
    """客户: a person or a company the centre knows, stored once per site."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("individual")
        ORGANISATION = "organisation", _("company / organisation")

    class IdType(models.TextChoices):
        RESIDENT_ID = "resident_id", _("resident ID card")
        PASSPORT = "passport", _("passport")
        HK_MACAO = "hk_macao", _("Hong Kong / Macao permit")
        TAIWAN = "taiwan", _("Taiwan permit")
        FOREIGN_PERMANENT = "foreign_permanent", _("foreigner's permanent residence card")
        USCC = "uscc", _("unified social credit code")
        OTHER = "other", _("other document")

    class Gender(models.TextChoices):
        MALE = "male", _("male")
        FEMALE = "female", _("female")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INDIVIDUAL)
    name = models.CharField(_("name"), max_length=100)
    name_pinyin = _hidden(models.CharField(max_length=300, blank=True, editable=False))
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    nationality = models.CharField(_("nationality"), max_length=50, blank=True)
    id_type = models.CharField(
        _("document type"), max_length=20, choices=IdType.choices, blank=True
    )
    id_number_cipher = _hidden(models.TextField(blank=True, editable=False))
    id_number_hash = _hidden(models.CharField(max_length=40, blank=True, editable=False))
    id_number_masked = models.CharField(_("document number"), max_length=60, blank=True)
    phone_cipher = _hidden(models.TextField(blank=True, editable=False))
    phone_hash = _hidden(models.CharField(max_length=40, blank=True, editable=False))
    phone_masked = models.CharField(_("phone"), max_length=30, blank=True)
    phone_last4 = _hidden(models.CharField(max_length=4, blank=True, editable=False))
    # Legacy registers hold placeholder numbers (18999999999, 111111111111111111): kept, not
    # trusted, listed for cleaning.
    to_clean = models.BooleanField(_("to clean"), default=False)
    clean_notes = models.CharField(_("what to clean"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["site", "name_pinyin", "id"]
        permissions = [
            ("view_personal_data", _("Can see full ID, passport and phone numbers")),
            ("view_privacy_log", _("Can read the personal-data access report")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "id_number_hash"],
                condition=~Q(id_number_hash=""),
                name="person_unique_document",
            ),
            models.CheckConstraint(
                condition=Q(kind="organisation") | ~Q(id_type="uscc"),
                name="person_uscc_only_for_organisations",
            ),
        ]
        indexes = [
            models.Index(fields=["site", "name"], name="person_site_name_idx"),
            models.Index(fields=["site", "name_pinyin"], name="person_site_pinyin_idx"),
            models.Index(fields=["site", "phone_last4"], name="person_site_phone4_idx"),
            models.Index(fields=["site", "phone_hash"], name="person_site_phone_idx"),
            # The unique constraint's index is partial (non-empty hashes), which SQLite only
            # uses when a query repeats its condition; lookups by hash use this one.
            models.Index(fields=["site", "id_number_hash"], name="person_site_document_idx"),
            models.Index(
                fields=["site", "to_clean"], condition=Q(to_clean=True), name="person_to_clean_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RegisterEntry(SiteScopedModel):
    """What every register entry carries: when and by whom it was last verified (R-CUS-02)."""

    verified_at = models.DateTimeField(_("last verified"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        abstract = True


def _current_unique(name: str, *fields: str, open_field: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=list(fields), condition=Q(**{f"{open_field}__isnull": True}), name=name
    )


def _not_before(name: str, later: str, earlier: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{later}__isnull": True}) | Q(**{f"{later}__gte": F(earlier)}), name=name
    )


class MoveIn(SiteScopedModel):
    """入住 (R-CUS-03): owners registered, keys and documents handed over, unit occupied."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="move_ins")
    moved_in_on = models.DateField(_("moved in on"))
    checklist = models.JSONField(_("handed over"), default=list, blank=True)
    keys_handed = models.PositiveSmallIntegerField(_("keys handed over"), default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("move-in")
        verbose_name_plural = _("move-ins")
        ordering = ["-moved_in_on", "-id"]

    def __str__(self) -> str:
        return f"{self.unit} {self.moved_in_on}"


class OwnershipTransfer(SiteScopedModel):
    """产权变更 (R-CUS-03): the old owners' title ends, the buyers' begins; nothing overwritten."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="ownership_transfers")
    transferred_on = models.DateField(_("transferred on"))
    contract_number = models.CharField(
        _("contract / certificate number"), max_length=60, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("ownership transfer")
        verbose_name_plural = _("ownership transfers")
        ordering = ["-transferred_on", "-id"]

    def __str__(self) -> str:
        return f"{self.unit} {self.transferred_on}"


class Ownership(RegisterEntry):
    """业主: a person's title to a unit, with its share; ended by a transfer, never deleted."""

    class EndReason(models.TextChoices):
        TRANSFER = "transfer", _("ownership transfer")
        CORRECTION = "correction", _("correction")

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="ownerships", verbose_name=_("unit")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="ownerships", verbose_name=_("owner")
    )
    share = models.DecimalField(
        _("share (%)"), max_digits=5, decimal_places=2, default=Decimal("100.00")
    )
    title_date = models.DateField(_("took title on"))
    ended_on = models.DateField(_("title ended on"), null=True, blank=True)
    end_reason = models.CharField(
        _("why it ended"), max_length=20, choices=EndReason.choices, blank=True
    )
    move_in = models.ForeignKey(
        MoveIn, on_delete=models.PROTECT, null=True, blank=True, related_name="ownerships"
    )
    transfer_in = models.ForeignKey(
        OwnershipTransfer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transfer_out = models.ForeignKey(
        OwnershipTransfer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("owner")
        verbose_name_plural = _("owners")
        ordering = ["unit", "-ended_on", "title_date", "id"]
        constraints = [
            _current_unique("ownership_one_current", "unit", "person", open_field="ended_on"),
            models.CheckConstraint(
                condition=Q(share__gt=0, share__lte=100), name="ownership_share_range"
            ),
            _not_before("ownership_ends_after_title", "ended_on", "title_date"),
        ]
        indexes = [
            models.Index(fields=["site", "ended_on"], name="ownership_site_open_idx"),
            models.Index(fields=["site", "verified_at"], name="ownership_verified_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.person}"


class Tenancy(RegisterEntry):
    """租户: a lease of a unit."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="tenancies", verbose_name=_("unit")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="tenancies", verbose_name=_("tenant")
    )
    lease_start = models.DateField(_("lease starts"))
    lease_end = models.DateField(_("lease ends"))
    moved_out_on = models.DateField(_("moved out on"), null=True, blank=True)

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["unit", "-lease_start", "id"]
        constraints = [
            _current_unique("tenancy_one_current", "unit", "person", open_field="moved_out_on"),
            _not_before("tenancy_lease_ends_after_start", "lease_end", "lease_start"),
            _not_before("tenancy_moves_out_after_start", "moved_out_on", "lease_start"),
        ]
        indexes = [
            models.Index(fields=["site", "moved_out_on"], name="tenancy_site_open_idx"),
            models.Index(fields=["site", "lease_end"], name="tenancy_site_end_idx"),
            models.Index(fields=["site", "verified_at"], name="tenancy_verified_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.person}"


class HouseholdMember(RegisterEntry):
    """家庭成员: someone living at a unit with its owner or tenant."""

    class Relation(models.TextChoices):
        SPOUSE = "spouse", _("spouse")
        CHILD = "child", _("child")
        PARENT = "parent", _("parent")
        RELATIVE = "relative", _("relative")
        OTHER = "other", _("other")

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="household_members", verbose_name=_("unit")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="households", verbose_name=_("person")
    )
    relation = models.CharField(
        _("relation"), max_length=20, choices=Relation.choices, default=Relation.OTHER
    )
    since = models.DateField(_("since"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        ordering = ["unit", "id"]
        constraints = [
            _current_unique("household_one_current", "unit", "person", open_field="left_on"),
            _not_before("household_leaves_after_joining", "left_on", "since"),
        ]
        indexes = [
            models.Index(fields=["site", "left_on"], name="household_site_open_idx"),
            models.Index(fields=["site", "verified_at"], name="household_verified_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.person}"


class Shop(RegisterEntry):
    """商铺: a commercial unit's business and its operator."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="shops", verbose_name=_("unit")
    )
    name = models.CharField(_("shop name"), max_length=100)
    operator = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="shops", verbose_name=_("operator")
    )
    licence_number = models.CharField(_("business licence number"), max_length=18)
    trade = models.CharField(_("line of business"), max_length=100, blank=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["unit", "-opened_on", "id"]
        constraints = [
            _current_unique("shop_one_open_per_unit", "unit", open_field="closed_on"),
            _not_before("shop_closes_after_opening", "closed_on", "opened_on"),
        ]
        indexes = [
            models.Index(fields=["site", "closed_on"], name="shop_site_open_idx"),
            models.Index(fields=["site", "verified_at"], name="shop_verified_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class ForeignResident(RegisterEntry):
    """外籍人员: a foreign national living at a unit; passport and visa as given."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="foreign_stays", verbose_name=_("person")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="foreign_residents", verbose_name=_("unit")
    )
    visa_kind = models.CharField(_("visa / residence permit"), max_length=50, blank=True)
    visa_expiry = models.DateField(_("visa expires"), null=True, blank=True)
    arrived_on = models.DateField(_("arrived on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("foreign resident")
        verbose_name_plural = _("foreign residents")
        ordering = ["unit", "id"]
        constraints = [
            _current_unique("foreign_one_current", "unit", "person", open_field="left_on"),
            _not_before("foreign_leaves_after_arriving", "left_on", "arrived_on"),
        ]
        indexes = [
            models.Index(fields=["site", "visa_expiry"], name="foreign_visa_idx"),
            models.Index(fields=["site", "verified_at"], name="foreign_verified_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.person}"


class DomesticHelper(RegisterEntry):
    """家政服务人员: a nanny, hourly worker or housekeeper and the unit employing them."""

    class Kind(models.TextChoices):
        NANNY = "nanny", _("nanny")
        HOURLY = "hourly", _("hourly worker")
        HOUSEKEEPING = "housekeeping", _("housekeeping")

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="helper_jobs", verbose_name=_("helper")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="helpers", verbose_name=_("employer unit")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.NANNY)
    agency = models.CharField(_("agency"), max_length=100, blank=True)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("domestic helper")
        verbose_name_plural = _("domestic helpers")
        ordering = ["unit", "id"]
        constraints = [
            _current_unique("helper_one_current", "unit", "person", open_field="ended_on"),
            _not_before("helper_ends_after_start", "ended_on", "started_on"),
        ]
        indexes = [models.Index(fields=["site", "verified_at"], name="helper_verified_idx")]

    def __str__(self) -> str:
        return f"{self.unit} {self.person}"


class Pet(RegisterEntry):
    """犬类: a dog kept at a unit, its licence and vaccination."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="pets", verbose_name=_("unit")
    )
    keeper = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="pets", verbose_name=_("keeper")
    )
    name = models.CharField(_("dog's name"), max_length=50, blank=True)
    breed = models.CharField(_("breed"), max_length=50)
    colour = models.CharField(_("colour"), max_length=30, blank=True)
    licence_number = models.CharField(_("dog licence number"), max_length=50, blank=True)
    vaccinated_on = models.DateField(_("vaccinated on"), null=True, blank=True)
    vaccination_expiry = models.DateField(_("vaccination expires"), null=True, blank=True)
    ended_on = models.DateField(_("no longer kept since"), null=True, blank=True)

    class Meta:
        verbose_name = _("dog")
        verbose_name_plural = _("dogs")
        ordering = ["unit", "id"]
        constraints = [
            _not_before("pet_vaccination_expires_after", "vaccination_expiry", "vaccinated_on"),
        ]
        indexes = [
            models.Index(fields=["site", "vaccination_expiry"], name="pet_vaccination_idx"),
            models.Index(fields=["site", "verified_at"], name="pet_verified_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.name or self.breed}"


class Vehicle(RegisterEntry):
    """车辆 and its use of a parking space (车位使用) for a term."""

    plate = models.CharField(_("plate"), max_length=20)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vehicles",
        verbose_name=_("unit"),
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="vehicles", verbose_name=_("owner")
    )
    brand = models.CharField(_("make and model"), max_length=50, blank=True)
    colour = models.CharField(_("colour"), max_length=30, blank=True)
    parking_space = models.ForeignKey(
        ParkingSpace,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vehicles",
        verbose_name=_("parking space"),
    )
    space_term_start = models.DateField(_("space term starts"), null=True, blank=True)
    space_term_end = models.DateField(_("space term ends"), null=True, blank=True)
    ended_on = models.DateField(_("deregistered on"), null=True, blank=True)

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        ordering = ["plate", "id"]
        constraints = [
            _current_unique("vehicle_one_current_plate", "site", "plate", open_field="ended_on"),
            _not_before("vehicle_term_ends_after_start", "space_term_end", "space_term_start"),
        ]
        indexes = [
            models.Index(fields=["site", "plate"], name="vehicle_site_plate_idx"),
            models.Index(fields=["site", "space_term_end"], name="vehicle_term_idx"),
            models.Index(fields=["site", "verified_at"], name="vehicle_verified_idx"),
        ]

    def __str__(self) -> str:
        return self.plate


class SpecialGroupMember(RegisterEntry):
    """特殊群体、弱势群体: someone the centre looks in on, and the staff member who does."""

    class Kind(models.TextChoices):
        ELDERLY_ALONE = "elderly_alone", _("elderly living alone")
        SINGLE_PARENT = "single_parent", _("single parent")
        UNEMPLOYED = "unemployed", _("unemployed")
        DISABLED = "disabled", _("disabled")
        RELEASED = "released", _("released from prison")
        PAROLED = "paroled", _("on parole or probation")
        WATCHED = "watched", _("under watch")
        OTHER = "other", _("other")

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="special_groups", verbose_name=_("person")
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="special_group_members",
        verbose_name=_("unit"),
    )
    kind = models.CharField(_("group"), max_length=20, choices=Kind.choices)
    care_notes = models.TextField(_("care notes"), blank=True)
    carer = models.ForeignKey(
        Employee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("looked in on by"),
    )
    since = models.DateField(_("since"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("special group member")
        verbose_name_plural = _("special and vulnerable groups")
        ordering = ["kind", "id"]
        constraints = [_not_before("special_until_after_since", "until", "since")]
        indexes = [models.Index(fields=["site", "verified_at"], name="special_verified_idx")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_kind_display()})"


class SupplierWorker(RegisterEntry):
    """供方人员: a contractor's worker on site and their pass."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="supplier_jobs", verbose_name=_("worker")
    )
    company = models.CharField(_("company"), max_length=100)
    job = models.CharField(_("job"), max_length=50)
    pass_number = models.CharField(_("pass number"), max_length=30, blank=True)
    pass_expiry = models.DateField(_("pass expires"), null=True, blank=True)
    started_on = models.DateField(_("on site since"), null=True, blank=True)
    ended_on = models.DateField(_("left site on"), null=True, blank=True)

    class Meta:
        verbose_name = _("supplier worker")
        verbose_name_plural = _("supplier workers")
        ordering = ["company", "id"]
        constraints = [_not_before("supplier_ends_after_start", "ended_on", "started_on")]
        indexes = [
            models.Index(fields=["site", "pass_expiry"], name="supplier_pass_idx"),
            models.Index(fields=["site", "verified_at"], name="supplier_verified_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.company})"


class CommitteeMember(RegisterEntry):
    """业主委员会: a member of the owners' committee for a term."""

    class Position(models.TextChoices):
        CHAIR = "chair", _("chair")
        VICE_CHAIR = "vice_chair", _("vice chair")
        SECRETARY = "secretary", _("secretary")
        MEMBER = "member", _("member")

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="committee_terms", verbose_name=_("member")
    )
    position = models.CharField(
        _("position"), max_length=20, choices=Position.choices, default=Position.MEMBER
    )
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"))
    ended_on = models.DateField(_("left the committee on"), null=True, blank=True)

    class Meta:
        verbose_name = _("committee member")
        verbose_name_plural = _("owners' committee")
        ordering = ["-term_start", "position", "id"]
        constraints = [
            _not_before("committee_term_ends_after_start", "term_end", "term_start"),
            _not_before("committee_leaves_after_start", "ended_on", "term_start"),
        ]
        indexes = [models.Index(fields=["site", "verified_at"], name="committee_verified_idx")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_position_display()})"


class PersonalDataView(models.Model):
    """One look at an unmasked ID, passport or phone number (R-CUS-04): who, whose, when,
    where; read by the quarterly confidentiality self-check (R-CUS-05)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("who")
    )
    # The viewer's department at the time, so the report stays right after a transfer.
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("whose")
    )
    fields = models.CharField(_("what"), max_length=60)
    where = models.CharField(_("where"), max_length=200)
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("personal-data view")
        verbose_name_plural = _("personal-data views")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["site", "at"], name="pdview_site_at_idx"),
            models.Index(fields=["site", "department", "at"], name="pdview_department_idx"),
            models.Index(fields=["person", "at"], name="pdview_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} → {self.person}"
