"""The estate: buildings, entrances, units, parking spaces and common facilities of a site."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wuye.core.models import SiteScopedModel


class Building(SiteScopedModel):
    """楼栋."""

    code = models.CharField(_("building number"), max_length=20)
    name = models.CharField(_("name"), max_length=50)
    floors_above = models.PositiveSmallIntegerField(_("floors above ground"), default=1)
    floors_below = models.PositiveSmallIntegerField(_("floors below ground"), default=0)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["site", "code"]
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="building_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name


class Entrance(SiteScopedModel):
    """单元: a stairwell section of a building."""

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="entrances", verbose_name=_("building")
    )
    code = models.CharField(_("entrance number"), max_length=20)
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("entrance")
        verbose_name_plural = _("entrances")
        ordering = ["building", "code"]
        constraints = [
            models.UniqueConstraint(fields=["building", "code"], name="entrance_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.building.name}{self.name}"


class Unit(SiteScopedModel):
    """房屋 / 户: one dwelling, shop, office or garage."""

    class Use(models.TextChoices):
        RESIDENCE = "residence", _("residence")
        SHOP = "shop", _("shop")
        OFFICE = "office", _("office")
        GARAGE = "garage", _("garage")

    class State(models.TextChoices):
        UNSOLD = "unsold", _("unsold")
        VACANT = "vacant", _("vacant")
        OCCUPIED = "occupied", _("occupied")
        RENOVATING = "renovating", _("renovating")

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="units", verbose_name=_("building")
    )
    entrance = models.ForeignKey(
        Entrance,
        on_delete=models.PROTECT,
        related_name="units",
        null=True,
        blank=True,
        verbose_name=_("entrance"),
    )
    floor = models.SmallIntegerField(_("floor"))
    number = models.CharField(_("unit number"), max_length=20)
    # "1-2-1804": building, entrance, number; unique per site, what clerks type and print.
    code = models.CharField(_("unit code"), max_length=60)
    floor_area = models.DecimalField(_("floor area (m²)"), max_digits=10, decimal_places=2)
    indoor_area = models.DecimalField(
        _("indoor area (m²)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    use = models.CharField(_("use"), max_length=20, choices=Use.choices, default=Use.RESIDENCE)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.UNSOLD)
    fee_coefficient = models.DecimalField(
        _("fee coefficient"), max_digits=6, decimal_places=3, default=Decimal("1.000")
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["site", "building__code", "entrance__code", "floor", "number"]
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="unit_unique_code"),
            models.UniqueConstraint(
                fields=["building", "entrance", "number"],
                condition=Q(entrance__isnull=False),
                name="unit_unique_number_in_entrance",
            ),
            models.UniqueConstraint(
                fields=["building", "number"],
                condition=Q(entrance__isnull=True),
                name="unit_unique_number_in_building",
            ),
            models.CheckConstraint(condition=Q(floor_area__gt=0), name="unit_floor_area_positive"),
            models.CheckConstraint(
                condition=Q(indoor_area__isnull=True) | Q(indoor_area__gt=0),
                name="unit_indoor_area_positive",
            ),
            models.CheckConstraint(
                condition=Q(fee_coefficient__gte=0), name="unit_fee_coefficient_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["site", "building", "floor"], name="unit_site_building_idx"),
            models.Index(fields=["site", "state"], name="unit_site_state_idx"),
            models.Index(fields=["site", "use"], name="unit_site_use_idx"),
        ]

    def __str__(self) -> str:
        return self.code


class ParkingSpace(SiteScopedModel):
    """车位."""

    class Kind(models.TextChoices):
        UNDERGROUND = "underground", _("underground")
        SURFACE = "surface", _("surface")
        MECHANICAL = "mechanical", _("mechanical")

    class State(models.TextChoices):
        FREE = "free", _("free")
        SOLD = "sold", _("sold")
        RENTED = "rented", _("rented")
        RESERVED = "reserved", _("reserved")

    code = models.CharField(_("space number"), max_length=30)
    zone = models.CharField(_("zone"), max_length=50, blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.UNDERGROUND
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.FREE)
    floor_area = models.DecimalField(
        _("floor area (m²)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("parking space")
        verbose_name_plural = _("parking spaces")
        ordering = ["site", "zone", "code"]
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="parking_unique_code"),
            models.CheckConstraint(
                condition=Q(floor_area__isnull=True) | Q(floor_area__gt=0),
                name="parking_floor_area_positive",
            ),
        ]
        indexes = [models.Index(fields=["site", "state"], name="parking_site_state_idx")]

    def __str__(self) -> str:
        return self.code


class Facility(SiteScopedModel):
    """公共设施 / 设备: a lift, gate, pump room… that can be inspected or reported broken."""

    class Kind(models.TextChoices):
        LIFT = "lift", _("lift")
        GATE = "gate", _("gate / barrier")
        PUMP_ROOM = "pump_room", _("pump room")
        POWER_ROOM = "power_room", _("power distribution room")
        FIRE = "fire", _("fire equipment")
        CCTV = "cctv", _("CCTV / access control")
        LIGHTING = "lighting", _("lighting")
        GREEN = "green", _("green area")
        PLAYGROUND = "playground", _("playground / fitness")
        CLUBHOUSE = "clubhouse", _("clubhouse")
        OTHER = "other", _("other")

    class State(models.TextChoices):
        IN_SERVICE = "in_service", _("in service")
        FAULTY = "faulty", _("faulty")
        UNDER_REPAIR = "under_repair", _("under repair")
        RETIRED = "retired", _("retired")

    code = models.CharField(_("facility number"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        related_name="facilities",
        null=True,
        blank=True,
        verbose_name=_("building"),
    )
    location = models.CharField(_("location"), max_length=100, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.IN_SERVICE
    )
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    maintainer = models.CharField(_("maintained by"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["site", "code"]
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="facility_unique_code"),
        ]
        indexes = [models.Index(fields=["site", "kind"], name="facility_site_kind_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
