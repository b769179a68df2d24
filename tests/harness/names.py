"""Realistic, made-up CA subject names.

Public root CAs have long subjects: a country, often a state and city, a
company name with its legal form, one or two OUs and a descriptive CN.  Their
DER encodings average around 190 bytes, so about 85 of them overflow one
16,384-byte TLS record.  These names follow that shape; none is a real CA's.
The same seed always gives the same names.
"""

import random

PLACES = [
    ("US", "California", "San Jose"), ("US", "Utah", "Salt Lake City"),
    ("US", "Arizona", "Scottsdale"), ("US", "Texas", "Houston"),
    ("US", "Washington", "Redmond"), ("US", "New Jersey", "Newark"),
    ("GB", "Greater Manchester", "Salford"), ("DE", "Bayern", "Muenchen"),
    ("DE", "Nordrhein-Westfalen", "Koeln"), ("FR", "Ile-de-France", "Paris"),
    ("ES", "Barcelona", "Barcelona"), ("NL", "Noord-Holland", "Amsterdam"),
    ("BE", "Brussels", "Brussels"), ("CH", "Zurich", "Zurich"),
    ("JP", "Tokyo", "Chiyoda-ku"), ("TW", "Taipei", "Taipei"),
    ("KR", "Seoul", "Gangnam-gu"), ("PL", "Mazowieckie", "Warszawa"),
    ("HU", "Budapest", "Budapest"), ("SK", "Bratislava", "Bratislava"),
    ("TR", "Ankara", "Cankaya"), ("IN", "Maharashtra", "Mumbai"),
    ("BR", "Sao Paulo", "Sao Paulo"), ("ZA", "Gauteng", "Johannesburg"),
]
FIRST = [
    "Meridian", "Northwind", "Bluecrest", "Ironbridge", "Silverline",
    "Aldermoor", "Cobaltus", "Harborview", "Stonegate", "Evergreen",
    "Quantara", "Brightpath", "Keystone", "Lumenar", "Vantage", "Halcyon",
    "Pinnacle", "Sentinel", "Trustwell", "Oakridge", "Aurelius", "Granite",
]
SECOND = [
    "Trust", "Digital Trust", "Secure", "Certificate", "Identity",
    "Network Security", "Electronic Signature", "Public Key", "Data Security",
]
FORM = [
    "Inc.", "Corporation", "Ltd.", "GmbH", "S.A.", "B.V.", "AG", "LLC",
    "Services Limited", "Holdings, Inc.", "Co., Ltd.", "Zrt.", "A.S.",
]
OU = [
    "Certification Services Division", "Trust Network",
    "Public Key Infrastructure Operations", "Root Certification Authority",
    "Certification Authority Operations",
    "www.{slug}.example/repository",
]
CN = [
    "{org} Global Root CA {gen}", "{org} Root Certification Authority - {gen}",
    "{org} Public Primary Certification Authority - {gen}",
    "{org} Secure Server Root {gen} {alg}", "{org} Qualified Root CA {gen} {alg}",
    "{org} Commercial Root CA {gen}", "{org} Premium ECC Root {gen}",
]
ALGS = ["RSA 4096", "ECC P-384", "RSA", "ECC", "2048"]
UB_NAME = 64    # X.520's upper bound for O, OU and CN


def subjects(count, seed=2024):
    """count distinct subjects, each a list of (attribute, value) pairs."""
    rng = random.Random(seed)
    seen = set()
    out = []
    while len(out) < count:
        country, state, city = rng.choice(PLACES)
        org = "%s %s" % (rng.choice(FIRST), rng.choice(SECOND))
        legal = "%s %s" % (org, rng.choice(FORM))
        gen = "G%d" % rng.randint(1, 9) if rng.random() < 0.6 \
            else str(rng.randint(1998, 2025))
        cn = rng.choice(CN).format(org=org, gen=gen, alg=rng.choice(ALGS))
        if cn in seen:
            continue
        seen.add(cn)
        subject = [("C", country)]
        if rng.random() < 0.45:
            subject += [("ST", state), ("L", city)]
        subject.append(("O", legal))
        slug = org.lower().replace(" ", "")
        for ou in rng.sample(OU, rng.choice([0, 1, 1, 2])):
            subject.append(("OU", ou.format(slug=slug)))
        if rng.random() < 0.25:
            subject.append(("OU", "(c) %d %s - For authorized use only"
                            % (rng.randint(1999, 2024), legal)))
        subject.append(("CN", cn))
        out.append([(k, v[:UB_NAME].rstrip()) for k, v in subject])
    return out


def openssl_subject(subject):
    """The -subj argument form: /C=US/O=.../CN=..."""
    def escape(value):
        return value.replace("\\", "\\\\").replace("/", "\\/")
    return "".join("/%s=%s" % (k, escape(v)) for k, v in subject)


def rfc2253(subject):
    """As OpenSSL prints with -nameopt RFC2253 (most specific first)."""
    def escape(value):
        for ch in '\\,+"<>;':
            value = value.replace(ch, "\\" + ch)
        return value
    return ",".join("%s=%s" % (k, escape(v)) for k, v in reversed(subject))
