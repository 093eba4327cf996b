"""Build the Warrant demo case: write the fact files, then derive determinations/blocked_under.csv and
expected.json by running the shipped rulebooks on them.

    python examples/demo/generate.py          # rewrite every file under examples/demo/

The data files are committed; this script documents how they were made and keeps them consistent.
All parties, vessels and events are fictitious.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RULEBOOKS = ROOT / "rulebooks"
BASE_RECORDED = "2024-06-01T09:00:00Z"     # when the first facts reached the case file
UPDATE_RECORDED = "2024-10-15T09:00:00Z"   # when examples/demo/updates/ arrived
ASSESSMENTS = ["2024-07-02", "2024-09-30", "2024-11-01"]
DETERMINATION_DATE = "2024-09-30"

SOURCES = {
    "ofac-sdn": dict(name="OFAC Specially Designated Nationals List", kind="sanctions-list", jurisdiction="US", reliability="A"),
    "eu-fsf": dict(name="EU Consolidated Financial Sanctions List", kind="sanctions-list", jurisdiction="EU", reliability="A"),
    "uk-sanctions-list": dict(name="UK Sanctions List (FCDO)", kind="sanctions-list", jurisdiction="UK", reliability="A"),
    "un-sc": dict(name="UN Security Council Consolidated List", kind="sanctions-list", jurisdiction="UN", reliability="A"),
    "companies-registry": dict(name="Corporate registries (CY, AE, MH, GB) via registry extracts", kind="registry", jurisdiction="multiple", reliability="A"),
    "maritime-registry": dict(name="Flag-state and IMO ship registers", kind="registry", jurisdiction="multiple", reliability="A"),
    "leak-2024": dict(name="Investigative consortium leak of nominee agreements", kind="open-source", jurisdiction="none", reliability="C"),
    "ais-provider": dict(name="Commercial AIS and satellite imagery provider", kind="shipping", jurisdiction="none", reliability="B"),
    "customs": dict(name="Customs declarations and bills of lading", kind="trade", jurisdiction="EU", reliability="B"),
    "bank-reports": dict(name="Correspondent bank transaction monitoring", kind="financial", jurisdiction="GB", reliability="A"),
    "partner-state": dict(name="Partner-state financial intelligence unit", kind="partner-state", jurisdiction="partner", reliability="B"),
    "osint": dict(name="Open-source research (press, NGO reports)", kind="open-source", jurisdiction="none", reliability="C"),
    "case-team": dict(name="Case team decisions and reference data", kind="registry", jurisdiction="internal", reliability="A"),
    "licensing": dict(name="Licences issued by OFAC, EU competent authorities and OFSI", kind="registry", jurisdiction="multiple", reliability="A"),
    "determinations": dict(name="Warrant ownership-and-control runs (ofac_50, eu_ownership_control, uk_ownership_control)", kind="registry", jurisdiction="internal", reliability="A"),
}

# ------------------------------------------------------------------ the network (owner, owned, percent)

K = "person:viktor-kessler"        # SDN, EU, UK
VASKO = "person:irina-vasko"       # EU, UK
ORLAN = "person:dmitri-orlan"      # SDN
POLK = "person:gennady-polk"       # UK
LIND = "person:oksana-lind"        # EU
SADYKOV = "person:marat-sadykov"   # UN only
TOR = "person:arkady-tor"          # UK (a minister)
ABRAMOV = "person:lev-abramov"     # not listed: Polk's partner

LISTED = [
    (K, "SDN", "ofac-sdn"), (K, "EU", "eu-fsf"), (K, "UK", "uk-sanctions-list"),
    (VASKO, "EU", "eu-fsf"), (VASKO, "UK", "uk-sanctions-list"),
    (ORLAN, "SDN", "ofac-sdn"),
    (POLK, "UK", "uk-sanctions-list"),
    (LIND, "EU", "eu-fsf"),
    (SADYKOV, "UN", "un-sc"),
    (TOR, "UK", "uk-sanctions-list"),
    ("bank:volga-credit", "SDN", "ofac-sdn"), ("bank:volga-credit", "EU", "eu-fsf"), ("bank:volga-credit", "UK", "uk-sanctions-list"),
]

OWNS = [
    # Kessler's holding company: blocked everywhere
    (K, "co:kessler-holdings", 100),
    # Borealis: 30% + 25% (the EU FAQ pattern): EU only
    (K, "co:borealis-trading", 30), (VASKO, "co:borealis-trading", 25), ("person:amira-haddad", "co:borealis-trading", 45),
    # Aurora: exactly 50% through a blocked holding: OFAC yes, EU only since 3 July 2024, UK no
    ("co:kessler-holdings", "co:aurora-maritime", 50), ("person:henrik-dahl", "co:aurora-maritime", 50),
    ("co:aurora-maritime", "co:polar-star-shipping", 100),
    # Nordic Bunkering: Orlan 25% (from the leak) + Kessler 25%: OFAC only
    (K, "co:nordic-bunkering", 25), ("person:sofia-berg", "co:nordic-bunkering", 50),
    # Caspian Ventures: Polk 30% + Abramov 25% under a joint arrangement: UK only
    (POLK, "co:caspian-ventures", 30), (ABRAMOV, "co:caspian-ventures", 25), ("person:nadia-rahimi", "co:caspian-ventures", 45),
    # Sable: controlled by Kessler through a front (criterion e); owns two subsidiaries
    ("person:yusuf-kaya", "co:sable-logistics", 100),
    ("co:sable-logistics", "co:sable-terminals", 60), ("co:sable-logistics", "co:harbor-pilots-coop", 70),
    # Meridian / Tundra: a cross-holding loop just below 50% blocked (40% + 9.9%)
    (K, "co:meridian-capital", 40), (ORLAN, "co:meridian-capital", 9.9), ("person:claire-moreau", "co:meridian-capital", 30.1),
    ("co:meridian-capital", "co:tundra-resources", 60), ("co:tundra-resources", "co:meridian-capital", 20),
    ("person:omar-farouk", "co:tundra-resources", 40),
    # Baltic Grain: 49.99%, just below everywhere
    ("co:kessler-holdings", "co:baltic-grain", 49.99), ("person:jonas-petraitis", "co:baltic-grain", 50.01),
    # Polk's UK chain of majority stakes
    (POLK, "co:polk-invest", 51), ("person:elena-markova", "co:polk-invest", 49),
    ("co:polk-invest", "co:ural-metals", 60), ("co:ural-metals", "co:ural-metals-trading", 51),
    ("co:ural-metals", "co:ural-logistics", 30),
    # Volkhov Energy: blocked for several independent reasons
    (K, "co:volkhov-energy", 60), ("person:ivan-sorokin", "co:volkhov-energy", 40),
    ("co:volkhov-energy", "co:volkhov-gas-marketing", 100),
    # Arctic Fisheries: 20% Kessler (retracted later: sold) + 35% Kessler Holdings
    (K, "co:arctic-fisheries", 20), ("co:kessler-holdings", "co:arctic-fisheries", 35), ("person:mette-olsen", "co:arctic-fisheries", 45),
    # Lind (EU) owns 50% of a Cyprus company: EU only since 3 July 2024
    (LIND, "co:lindos-shipping", 50), ("person:andreas-georgiou", "co:lindos-shipping", 50),
    # Sadykov (UN only) owns a cargo company: not blocked by OFAC, EU or UK lists as given
    (SADYKOV, "co:sadykov-cargo", 100),
    # Minister Tor leads a state shipping company, owning nothing of it
    ("state:republic-of-veloria", "co:severny-state-shipping", 100),
    # Gulfstar: the unlisted ship manager of the shadow fleet
    ("person:rashid-al-amin", "co:gulfstar-ship-management", 100),
    ("person:rashid-al-amin", "co:tallis-trading", 100),
    ("person:farrukh-nazarov", "co:pamir-electronics", 100),
    ("co:volga-credit-holding", "bank:volga-credit", 100),
    ("person:peter-hale", "bank:eastgate", 15),
]
OWNS_FROM_LEAK = [(ORLAN, "co:nordic-bunkering", 25)]
CONTROLS = [
    (K, "co:sable-logistics", "e"),            # through the front Yusuf Kaya
    (VASKO, "co:volkhov-energy", "a"),         # appoints the board
    (TOR, "co:severny-state-shipping", "public_office"),
    (K, "co:meridian-capital", "g"),           # consolidated accounts only
]
JOINT = [(POLK, ABRAMOV, "co:caspian-ventures")]
REBUTTED = [("co:sable-logistics", "co:harbor-pilots-coop",
             "court-appointed trustee runs the cooperative; Sable's voting rights are suspended (EU competent authority decision 2024/118)")]

# ------------------------------------------------------------------ filler: ordinary parties

FIRST = ["Anna", "Bruno", "Chloe", "David", "Eva", "Filip", "Greta", "Hugo", "Ines", "Jan", "Katya", "Luca",
         "Maya", "Nils", "Olga", "Pavel", "Rosa", "Sven", "Tara", "Ugo"]
LAST = ["Novak", "Lindqvist", "Costa", "Weber", "Kowalski", "Ricci", "Jensen", "Horvat", "Silva", "Meyer"]
FILLER_PERSONS = [f"person:{FIRST[i].lower()}-{LAST[i % len(LAST)].lower()}" for i in range(20)]
FILLER_COMPANIES = [f"co:{w}" for w in (
    "alder-foods", "birch-textiles", "cedar-pharma", "delta-agri", "elm-logistics", "fjord-seafood", "granite-build",
    "harbor-chandlers", "iris-chemicals", "juniper-timber", "kestrel-air", "larch-paper", "maple-metals",
    "nordlys-energy", "oak-insurance", "pine-retail", "quartz-mining", "rowan-trading", "spruce-shipping",
    "thistle-textiles", "umber-paints", "vale-fertilisers", "willow-machinery", "yarrow-foods", "zephyr-freight")]
for i, c in enumerate(FILLER_COMPANIES):
    OWNS.append((FILLER_PERSONS[i % 20], c, 60))
    OWNS.append((FILLER_PERSONS[(i + 7) % 20], c, 40))
OWNS.append(("co:kessler-holdings", "co:rowan-trading", 0.5))  # a token stake: no effect anywhere

VESSELS = {  # vessel: operator
    "vessel:imo9301001-aurora-star": "co:polar-star-shipping",
    "vessel:imo9301002-kara-sea": "co:gulfstar-ship-management",
    "vessel:imo9301003-ocean-pearl": "co:gulfstar-ship-management",
    "vessel:imo9301004-baltic-wind": "co:spruce-shipping",
    "vessel:imo9301005-north-cape": "co:spruce-shipping",
    "vessel:imo9301006-sable-one": "co:sable-terminals",
    "vessel:imo9301007-ural-trader": "co:ural-logistics",
    "vessel:imo9301008-fjord-queen": "co:fjord-seafood",
    "vessel:imo9301009-zephyr": "co:zephyr-freight",
    "vessel:imo9301010-lindos": "co:lindos-shipping",
}
BANKS = ["bank:eastgate", "bank:volga-credit", "bank:harbour-commercial", "bank:alpine-private", "bank:meridian-trust"]

# ------------------------------------------------------------------ red flags

AIS_GAPS = [  # vessel, started, hours, area, origin
    ("vessel:imo9301002-kara-sea", "2024-03-04", 46, "Gulf of Laconia", "ais-2024-0304-kara"),
    ("vessel:imo9301003-ocean-pearl", "2024-04-11", 31, "Gulf of Laconia", "ais-2024-0411-pearl"),
    ("vessel:imo9301003-ocean-pearl", "2024-05-20", 11.5, "Gulf of Laconia", "ais-2024-0520-pearl"),   # below 12 h
    ("vessel:imo9301004-baltic-wind", "2024-02-14", 20, "North Sea", "ais-2024-0214-wind"),            # documented reason
    ("vessel:imo9301005-north-cape", "2024-03-10", 60, "Gulf of Aden", "ais-2024-0310-cape"),          # piracy area
    ("vessel:imo9301001-aurora-star", "2024-04-01", 18, "Gulf of Laconia", "ais-2024-0401-aurora"),
]
SHIPPING_REFERENCE_PIRACY = ["Gulf of Aden", "Gulf of Guinea"]
HIGH_RISK = [("Gulf of Laconia", "Price Cap Coalition advisory, 21 October 2024: STS hub for price-capped crude")]
GAP_REASONS = [("vessel:imo9301004-baltic-wind", "2024-02-14", "transponder failure logged with the flag state, repaired at Bergen 2024-02-16")]
STS = [
    ("vessel:imo9301002-kara-sea", "vessel:imo9301001-aurora-star", "2024-03-05", "Gulf of Laconia", "sat-2024-0305"),
    ("vessel:imo9301003-ocean-pearl", "vessel:imo9301007-ural-trader", "2024-04-12", "Gulf of Laconia", "sat-2024-0412"),
    ("vessel:imo9301008-fjord-queen", "vessel:imo9301009-zephyr", "2024-04-20", "Port of Rotterdam anchorage", "sat-2024-0420"),
]
FLAG_CHANGES = [
    ("vessel:imo9301002-kara-sea", "2023-11-02", "Gabon", "reg-kara-1"),
    ("vessel:imo9301002-kara-sea", "2024-02-15", "Comoros", "reg-kara-2"),
    ("vessel:imo9301002-kara-sea", "2024-06-20", "Sierra Leone", "reg-kara-3"),
    ("vessel:imo9301003-ocean-pearl", "2024-01-10", "Cameroon", "reg-pearl-1"),
    ("vessel:imo9301003-ocean-pearl", "2024-05-05", "Palau", "reg-pearl-2"),          # 2 changes: below 3
    ("vessel:imo9301009-zephyr", "2021-03-01", "Malta", "reg-zephyr-1"),
]
MARKERS = [  # party, marker, origin, source
    ("co:gulfstar-ship-management", "mass_registration_address", "reg-ae-gulfstar", "companies-registry"),
    ("co:gulfstar-ship-management", "single_ship_companies", "reg-mh-gulfstar", "companies-registry"),
    ("co:pamir-electronics", "newly_incorporated", "reg-tj-pamir", "companies-registry"),
    ("co:pamir-electronics", "no_web_presence", "osint-pamir-web", "osint"),
    ("co:tallis-trading", "mass_registration_address", "reg-ae-tallis", "companies-registry"),
]
SHIPMENTS = [  # shipment, exporter, consignee, goods
    ("shipment:BL-2024-0101", "co:willow-machinery", "co:pamir-electronics", "microelectronics"),
    ("shipment:BL-2024-0102", "co:willow-machinery", "co:alder-foods", "machine tools"),
    ("shipment:BL-2024-0103", "co:borealis-trading", "co:helios-commodities", "urea"),
    ("shipment:BL-2024-0104", "co:vale-fertilisers", "co:helios-commodities", "urea"),
]
TRANSITS = [("shipment:BL-2024-0101", "Tajikistan", "cus-2024-0101-tj"), ("shipment:BL-2024-0102", "Germany", "cus-2024-0102-de")]
HUBS = [("Tajikistan", "FinCEN-BIS FIN-2022-Alert003"), ("Armenia", "FinCEN-BIS supplemental alert 2023-05-19")]
DELIVERED = [("shipment:BL-2024-0101", "co:sable-logistics", "pod-2024-0101"), ("shipment:BL-2024-0102", "co:alder-foods", "pod-2024-0102")]
INVOICES = [("shipment:BL-2024-0103", "co:borealis-trading", 560, "inv-2024-0103"), ("shipment:BL-2024-0104", "co:vale-fertilisers", 410, "inv-2024-0104")]
BENCHMARKS = [("urea", 400), ("microelectronics", 12), ("machine tools", 25000)]
NESTED = [("bank:eastgate", "bank:volga-credit", "pay-2024-5512", "fin-2024-5512"),
          ("bank:harbour-commercial", "bank:alpine-private", "pay-2024-5513", "fin-2024-5513")]
DISCLOSED = [("bank:harbour-commercial", "bank:alpine-private")]

REPORTS = [  # party, allegation, origin, source, credibility
    ("co:gulfstar-ship-management", "manages tankers carrying price-capped crude above the cap", "fiu-2024-031", "partner-state", 2),
    ("co:gulfstar-ship-management", "manages tankers carrying price-capped crude above the cap", "fiu-2024-031", "osint", 3),  # relays the same report
    ("co:tallis-trading", "front company of the Gulfstar network", "osint-2024-017", "osint", 3),
    ("co:tallis-trading", "front company of the Gulfstar network", "osint-2024-017", "partner-state", 2),          # circular: same origin
    ("bank:eastgate", "clears payments for a listed bank through nested accounts", "fiu-2024-044", "partner-state", 2),
    ("co:pamir-electronics", "re-exports microelectronics to a listed end user", "fiu-2024-052", "partner-state", 2),
    ("co:spruce-shipping", "involved in sanctions evasion", "osint-2024-090", "osint", 5),                          # weak, later shown false
]
LATE_REPORTS = [("co:tallis-trading", "paid Gulfstar crew wages through a listed bank", "fin-2024-6001", "bank-reports", 2)]
EXCULPATORY = [("osint-2024-090", "the article confused Spruce Shipping with a namesake in another jurisdiction; retracted by the publisher")]
EXPLANATIONS = [("co:spruce-shipping", "ais_gap", "ais-2024-0214-wind", "flag-state repair certificate BW-2024-02")]

TRANSACTIONS = [  # id, purpose, [(party, role)]
    ("tx:2024-001", "freight", [("co:helios-commodities", "payer"), ("co:aurora-maritime", "payee"), ("bank:harbour-commercial", "bank")]),
    ("tx:2024-002", "wind-down", [("co:helios-commodities", "payer"), ("co:polar-star-shipping", "payee")]),
    ("tx:2024-003", "trade", [("co:helios-commodities", "payer"), ("co:borealis-trading", "payee")]),
    ("tx:2024-004", "legal-fees", [("co:caspian-ventures", "payer"), ("co:oak-insurance", "payee")]),
    ("tx:2024-005", "charter", [("co:helios-commodities", "payer"), ("co:gulfstar-ship-management", "payee"), ("vessel:imo9301003-ocean-pearl", "vessel")]),
    ("tx:2024-006", "trade", [("co:alder-foods", "payer"), ("co:tallis-trading", "payee")]),
    ("tx:2024-007", "bunkering", [("co:spruce-shipping", "payer"), ("co:nordic-bunkering", "payee")]),
    ("tx:2024-008", "trade", [("co:pamir-electronics", "payer"), ("co:willow-machinery", "payee")]),
    ("tx:2024-009", "trade", [("co:birch-textiles", "payer"), ("co:cedar-pharma", "payee"), ("bank:eastgate", "bank")]),
    ("tx:2024-010", "trade", [("co:helios-commodities", "payer"), ("co:baltic-grain", "payee")]),
    ("tx:2024-011", "services", [("co:harbor-pilots-coop", "payer"), ("co:elm-logistics", "payee")]),
    ("tx:2024-012", "trade", [("co:meridian-capital", "payer"), ("co:maple-metals", "payee")]),
    ("tx:2024-013", "trade", [("co:ural-metals-trading", "payer"), ("co:granite-build", "payee")]),
    ("tx:2024-014", "trade", [("co:volkhov-gas-marketing", "payer"), ("co:nordlys-energy", "payee")]),
    ("tx:2024-015", "insurance", [("co:arctic-fisheries", "payer"), ("co:oak-insurance", "payee")]),
    ("tx:2024-016", "trade", [("co:lindos-shipping", "payer"), ("co:pine-retail", "payee")]),
    ("tx:2024-017", "port-services", [("co:severny-state-shipping", "payer"), ("co:harbor-chandlers", "payee")]),
    ("tx:2024-018", "trade", [("co:sadykov-cargo", "payer"), ("co:quartz-mining", "payee")]),
    ("tx:2024-019", "trade", [("co:sable-terminals", "payer"), ("co:iris-chemicals", "payee")]),
    ("tx:2024-020", "trade", [("co:yarrow-foods", "payer"), ("co:juniper-timber", "payee"), ("bank:alpine-private", "bank")]),
]
LICENCES = [
    ("OFAC GL 8Z", "OFAC", "co:polar-star-shipping", "wind-down", "2024-12-31"),
    ("INT/2024/5521", "UK", "co:caspian-ventures", "legal-fees", "2025-03-31"),
    ("EU-CY-2024-77", "EU", "co:polar-star-shipping", "crew-repatriation", "2024-12-31"),   # other purpose
]


# ------------------------------------------------------------------ writing

def write_csv(path: Path, header: list[str], rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


LOCAL_OFFICIAL = {"classification": "OFFICIAL", "releasability": "LOCAL ONLY"}
# what a partner state shared under its memorandum: cleared readers of the receiving state only
MARKINGS = {"partner-state": {"classification": "SECRET", "releasability": "REL TO UK"}}


def write_manifest(folder: Path, source_ids: list[str], files: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"sources": [{"id": s, **SOURCES[s], **MARKINGS.get(s, LOCAL_OFFICIAL)} for s in source_ids],
            "files": files}
    (folder / "manifest.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def f(source: str, credibility: int | None = None, document: str | None = None) -> dict:
    out = {"source": source}
    if credibility is not None:
        out["credibility"] = credibility
    if document is not None:
        out["document"] = document
    return out


def write_facts() -> None:
    facts = HERE / "facts"
    if facts.exists():
        shutil.rmtree(facts)
    for extra in ("updates", "determinations"):
        if (HERE / extra).exists():
            shutil.rmtree(HERE / extra)

    d = facts / "lists"
    write_csv(d / "listed.csv", ["party", "list", "_source"], LISTED)
    write_manifest(d, ["ofac-sdn", "eu-fsf", "uk-sanctions-list", "un-sc"],
                   {"listed.csv": f("ofac-sdn", 1, "list extracts of 2024-05-31")})

    d = facts / "registry"
    write_csv(d / "owns.csv", ["owner", "owned", "percent"], OWNS)
    write_csv(d / "controls.csv", ["controller", "controlled", "basis"], CONTROLS)
    write_csv(d / "joint_arrangement.csv", ["party_a", "party_b", "entity"], JOINT)
    write_manifest(d, ["companies-registry"], {
        "owns.csv": f("companies-registry", 1, "registry extracts 2024-05"),
        "controls.csv": f("companies-registry", 2, "shareholder agreements and board minutes, case file CF-17"),
        "joint_arrangement.csv": f("companies-registry", 2, "shareholders' agreement Caspian Ventures 2019")})

    d = facts / "leak"
    write_csv(d / "owns.csv", ["owner", "owned", "percent"], OWNS_FROM_LEAK)
    write_manifest(d, ["leak-2024"], {"owns.csv": f("leak-2024", 2, "nominee agreement NB-3, leak of 2024-04")})

    d = facts / "eu_case"
    write_csv(d / "presumption_rebutted.csv", ["controller", "entity", "reason"], REBUTTED)
    write_manifest(d, ["case-team"], {"presumption_rebutted.csv": f("case-team", 1, "EU competent authority decision 2024/118")})

    d = facts / "shipping"
    write_csv(d / "ais_gap.csv", ["vessel", "started", "hours", "area", "origin"], AIS_GAPS)
    write_csv(d / "sts_transfer.csv", ["vessel", "counterpart", "date", "area", "origin"], STS)
    write_csv(d / "flag_change.csv", ["vessel", "date", "flag", "origin", "_source"],
              [r + ("maritime-registry",) for r in FLAG_CHANGES])
    write_csv(d / "operates.csv", ["operator", "vessel"], [(o, v) for v, o in VESSELS.items()])
    write_csv(d / "piracy_area.csv", ["area"], [(a,) for a in SHIPPING_REFERENCE_PIRACY])
    write_csv(d / "high_risk_area.csv", ["area", "reason"], HIGH_RISK)
    write_csv(d / "gap_reason.csv", ["vessel", "started", "reason"], GAP_REASONS)
    write_manifest(d, ["ais-provider", "maritime-registry", "case-team"], {
        "ais_gap.csv": f("ais-provider", 2), "sts_transfer.csv": f("ais-provider", 2, "satellite imagery tasking 2024-Q2"),
        "flag_change.csv": f("maritime-registry", 1), "operates.csv": f("maritime-registry", 1),
        "piracy_area.csv": f("case-team", 1, "BMP5 high-risk area"), "high_risk_area.csv": f("case-team", 1),
        "gap_reason.csv": f("maritime-registry", 1, "flag-state casualty log")})

    d = facts / "trade"
    write_csv(d / "shipment.csv", ["shipment", "exporter", "consignee", "goods"], SHIPMENTS)
    write_csv(d / "transit.csv", ["shipment", "country", "origin"], TRANSITS)
    write_csv(d / "diversion_hub.csv", ["country", "alert"], HUBS)
    write_csv(d / "delivered_to.csv", ["shipment", "party", "origin"], DELIVERED)
    write_csv(d / "invoice.csv", ["shipment", "seller", "unit_price", "origin"], INVOICES)
    write_csv(d / "benchmark_price.csv", ["goods", "unit_price"], BENCHMARKS)
    write_manifest(d, ["customs", "case-team"], {
        "shipment.csv": f("customs", 1), "transit.csv": f("customs", 2), "delivered_to.csv": f("customs", 2),
        "invoice.csv": f("customs", 2), "diversion_hub.csv": f("case-team", 1),
        "benchmark_price.csv": f("case-team", 1, "market price survey 2024-Q1")})

    d = facts / "corporate"
    write_csv(d / "company_marker.csv", ["party", "marker", "origin", "_source"], MARKERS)
    write_manifest(d, ["companies-registry", "osint"], {"company_marker.csv": f("companies-registry", 2)})

    d = facts / "financial"
    write_csv(d / "nested_payment.csv", ["respondent", "downstream", "payment", "origin"], NESTED)
    write_csv(d / "disclosed_nested.csv", ["respondent", "downstream"], DISCLOSED)
    write_csv(d / "party_to.csv", ["transaction", "party", "role"], [(t, p, r) for t, _, ps in TRANSACTIONS for p, r in ps])
    write_csv(d / "transaction_purpose.csv", ["transaction", "purpose"], [(t, p) for t, p, _ in TRANSACTIONS])
    write_manifest(d, ["bank-reports"], {n: f("bank-reports", 2) for n in
                                         ("nested_payment.csv", "disclosed_nested.csv", "party_to.csv", "transaction_purpose.csv")})

    d = facts / "reports"
    write_csv(d / "report.csv", ["party", "allegation", "origin", "_source", "_credibility"], REPORTS)
    write_csv(d / "exculpatory.csv", ["origin", "reason"], EXCULPATORY)
    write_csv(d / "legitimate_explanation.csv", ["party", "kind", "origin", "document"], EXPLANATIONS)
    write_manifest(d, ["partner-state", "osint", "case-team"], {
        "report.csv": f("osint"), "exculpatory.csv": f("case-team", 1), "legitimate_explanation.csv": f("case-team", 1)})

    d = facts / "licences"
    write_csv(d / "licence.csv", ["licence", "regime", "party", "purpose", "expires"], LICENCES)
    write_manifest(d, ["licensing"], {"licence.csv": f("licensing", 1)})

    # updates: arrive on 2024-10-15
    d = HERE / "updates" / "registry"
    write_csv(d / "owns.csv", ["owner", "owned", "percent", "_action", "_valid_from", "_document"],
              [(K, "co:arctic-fisheries", 20, "retract", "2024-10-01", "share transfer registered 2024-10-01")])
    write_manifest(d, ["companies-registry"], {"owns.csv": f("companies-registry", 1)})
    d = HERE / "updates" / "reports"
    write_csv(d / "report.csv", ["party", "allegation", "origin", "_source", "_credibility"], LATE_REPORTS)
    write_manifest(d, ["bank-reports"], {"report.csv": f("bank-reports")})


# ------------------------------------------------------------------ running the rulebooks

OWNERSHIP_FOLDERS = ["facts/lists", "facts/registry", "facts/leak"]
SCREENING_FOLDERS = ["facts/shipping", "facts/trade", "facts/corporate", "facts/financial", "facts/reports", "facts/licences"]
REGIMES = {"OFAC": "ofac_50.rules", "EU": "eu_ownership_control.rules", "UK": "uk_ownership_control.rules"}


# ------------------------------------------------------------------ the FtM source (warrant import ftm)

FTM_FILE = "ftm/registry.ftm.jsonl"
FTM_DATASET = "demo_registry"
HARBOR = "co:harbor-line-shipping"   # two separate holdings of Kessler, 25% each (50% in all)
OSTRAVA = "co:ostrava-cargo"         # one holding of Orlan in three versions: 45%, 48%, then 52%
FTM_HOLDINGS = [  # FtM Ownership id, holding id (recordId), owner, asset, percentage, startDate
    ("own-hls-a", "reg-hls-a", K, HARBOR, "25", "2024-01-15"),
    ("own-hls-b", "reg-hls-b", K, HARBOR, "25", "2024-01-15"),
    ("own-oc-2022", "reg-oc-1", ORLAN, OSTRAVA, "45", "2022-01-01"),
    ("own-oc-2023", "reg-oc-1", ORLAN, OSTRAVA, "48", "2023-05-01"),
    ("own-oc-2024", "reg-oc-1", ORLAN, OSTRAVA, "52", "2024-08-01"),
]


def display_name(party: str) -> str:
    """A party's name as the registry gives it, made from its id: co:gulfstar-ship-management is
    Gulfstar Ship Management, vessel:imo9301001-aurora-star is Aurora Star."""
    kind, slug = party.split(":", 1)
    if kind == "vessel":
        slug = slug.split("-", 1)[1]
    words = " ".join(w.capitalize() for w in slug.split("-"))
    return f"{words} Bank" if kind == "bank" else words


def _ftm_party(party: str) -> dict:
    kind = party.split(":", 1)[0]
    schema = {"person": "Person", "vessel": "Vessel", "bank": "Company"}.get(kind, "Company")
    props = {"name": [display_name(party)]}
    if kind == "vessel":
        props["imoNumber"] = [party.split(":", 1)[1].split("-", 1)[0].upper()]
        props["operator"] = [VESSELS[party]]
    return {"id": party, "schema": schema, "properties": props, "datasets": [FTM_DATASET], "target": False}


def write_ftm_source(parties: set[str]) -> None:
    """The demo's FtM source: every party named, and the two companies whose holdings only it records."""
    entities = [_ftm_party(p) for p in sorted(parties | {HARBOR, OSTRAVA})]
    entities += [{"id": oid, "schema": "Ownership", "datasets": [FTM_DATASET], "properties": {
        "owner": [owner], "asset": [asset], "percentage": [pct], "startDate": [start], "recordId": [hid],
        "sourceUrl": [f"https://registry.example/{asset.split(':', 1)[1]}"]}}
        for oid, hid, owner, asset, pct, start in FTM_HOLDINGS]
    entities.append({"id": "dir-hls-kessler", "schema": "Directorship", "datasets": [FTM_DATASET], "properties": {
        "director": [K], "organization": [HARBOR], "role": ["director"], "startDate": ["2024-01-15"]}})
    path = HERE / FTM_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(e, sort_keys=True) + "\n" for e in entities), encoding="utf-8")


def all_parties() -> set[str]:
    """Every party the demo's CSV facts name."""
    parties = set()
    for row in OWNS + OWNS_FROM_LEAK:
        parties |= {row[0], row[1]}
    parties |= {p for p, _, _ in LISTED} | set(VESSELS) | set(VESSELS.values()) | set(BANKS) | set(FILLER_PERSONS)
    parties |= {p for _, _, ps in TRANSACTIONS for p, _ in ps}
    return parties


def build_case(db: Path, with_updates: bool):
    """A case file holding the demo facts (recorded 2024-06-01) and optionally the updates (2024-10-15)."""
    from engine import api
    case = api.Case.open(db, actor="demo-generator")
    ofac = api.load_rulebook(RULEBOOKS / "ofac_50.rules")
    eu = api.load_rulebook(RULEBOOKS / "eu_ownership_control.rules")
    screening = api.load_rulebook(RULEBOOKS / "screening.rules")
    for folder in OWNERSHIP_FOLDERS:
        case.load(ofac, HERE / folder, progress=False, recorded_at=BASE_RECORDED)
    case.load(eu, HERE / "facts/eu_case", progress=False, recorded_at=BASE_RECORDED)
    case.import_ftm([HERE / FTM_FILE], progress=False, recorded_at=BASE_RECORDED)
    for folder in SCREENING_FOLDERS:
        case.load(screening, HERE / folder, progress=False, recorded_at=BASE_RECORDED)
    if with_updates:
        case.load(ofac, HERE / "updates/registry", progress=False, recorded_at=UPDATE_RECORDED)
        case.load(screening, HERE / "updates/reports", progress=False, recorded_at=UPDATE_RECORDED)
    return case


def determine(case, as_of: str) -> dict[str, list[str]]:
    from engine import api
    out = {}
    for regime, name in REGIMES.items():
        result = case.run(api.load_rulebook(RULEBOOKS / name), as_of=as_of, known_at=as_of)
        out[regime] = sorted(r[0] for r in result.conclusions["blocked"])
        if "caution" in result.conclusions:
            out["OFAC caution"] = sorted(r[0] for r in result.conclusions["caution"])
    return out


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from engine import api
    write_facts()
    write_ftm_source(all_parties())
    expected: dict = {"assessments": {}}
    with tempfile.TemporaryDirectory() as tmp:
        case = build_case(Path(tmp) / "case.db", with_updates=True)
        try:
            for as_of in ASSESSMENTS:
                expected["assessments"][as_of] = {"blocked": determine(case, as_of)}
            blocked = expected["assessments"][DETERMINATION_DATE]["blocked"]
            d = HERE / "determinations"
            write_csv(d / "blocked_under.csv", ["party", "regime"],
                      sorted((p, r) for r in REGIMES for p in blocked[r]))
            write_manifest(d, ["determinations"], {"blocked_under.csv": f(
                "determinations", 1, f"blocked conclusions of the ownership rulebooks as of {DETERMINATION_DATE}")})
            case.load(api.load_rulebook(RULEBOOKS / "screening.rules"), d, progress=False, recorded_at=BASE_RECORDED)
            # the ownership runs are repeated after the updates: changed findings arrive as an update
            later = expected["assessments"]["2024-11-01"]["blocked"]
            rows = [(p, r, "retract", "2024-10-01") for r in REGIMES for p in blocked[r] if p not in later[r]]
            rows += [(p, r, "assert", "2024-10-01") for r in REGIMES for p in later[r] if p not in blocked[r]]
            u = HERE / "updates" / "determinations"
            write_csv(u / "blocked_under.csv", ["party", "regime", "_action", "_valid_from"], sorted(rows))
            write_manifest(u, ["determinations"], {"blocked_under.csv": f(
                "determinations", 1, "blocked conclusions of the ownership rulebooks as of 2024-11-01")})
            case.load(api.load_rulebook(RULEBOOKS / "screening.rules"), u, progress=False, recorded_at=UPDATE_RECORDED)
            for as_of in ("2024-09-30", "2024-11-01"):
                result = case.run(api.load_rulebook(RULEBOOKS / "screening.rules"), as_of=as_of, known_at=as_of)
                expected["assessments"][as_of]["screening"] = result.conclusions
                std = case.run(api.load_rulebook(RULEBOOKS / "evidence_standards.rules"), as_of=as_of, known_at=as_of)
                expected["assessments"][as_of]["standards"] = std.conclusions
        finally:
            case.close()
    parties = all_parties()
    expected["parties"] = len(parties)
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(parties)} parties; expected outcomes in examples/demo/expected.json")


if __name__ == "__main__":
    main()
