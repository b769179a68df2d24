"""The admin's manual holds together: a short README, every directive in
the reference in httpd's format, links that lead somewhere, and the
probe's manual rendered from its one source, the man page."""

import glob
import os
import re
import subprocess

import pytest

from harness.httpd import REPO

PAGES = [os.path.join(REPO, "README.md"), os.path.join(REPO, "tests",
                                                        "README.md"),
         os.path.join(REPO, "bench", "README.md")] \
    + glob.glob(os.path.join(REPO, "docs", "*.md"))
FIELDS = ["Description:", "Syntax:", "Default:", "Context:", "Status:",
          "Module:"]


def read(path):
    with open(path) as f:
        return f.read()


def directives():
    """The directive names the module registers."""
    return re.findall(r'AP_INIT_\w+\("(\w+)"',
                      read(os.path.join(REPO, "mod_tlsinterop",
                                        "mod_tlsinterop_config.c")))


def anchors(text):
    """GitHub's anchors for a page's headings."""
    out = set()
    for heading in re.findall(r"^#+ (.+)$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        out.add(slug)
    return out | set(re.findall(r'<a id="([^"]+)"></a>', text))


def test_the_readme_is_short():
    assert len(read(PAGES[0]).splitlines()) <= 300


def test_every_directive_once_in_the_reference_in_httpds_format():
    text = read(os.path.join(REPO, "docs", "directives.md"))
    names = directives()
    assert len(names) >= 9, names
    for name in names:
        sections = re.findall(r"^### %s\n(.*?)(?=^### |\Z)" % name, text,
                              re.M | re.S)
        assert len(sections) == 1, name
        for field in FIELDS:
            assert re.search(r"^\| %s +\|" % field, sections[0], re.M), \
                (name, field)
    # and nowhere else is a directive documented in that format
    for page in PAGES:
        if not page.endswith("directives.md"):
            assert "| Syntax:" not in read(page), page


@pytest.mark.parametrize("page", PAGES, ids=os.path.basename)
def test_links_lead_somewhere(page):
    text = read(page)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        where = os.path.normpath(os.path.join(os.path.dirname(page), path)) \
            if path else page
        assert os.path.exists(where), (page, target)
        if anchor and where.endswith(".md"):
            assert anchor in anchors(read(where)), (page, target)


def test_every_log_line_has_a_documented_message_id():
    """Each ap_log_* call carries its own TLSILOGNO, and docs/operations.md
    says what each means."""
    ops = read(os.path.join(REPO, "docs", "operations.md"))
    seen = []
    for path in glob.glob(os.path.join(REPO, "mod_tlsinterop", "*.c")):
        text = read(path)
        calls = re.findall(r"ap_log_[rc]?error\((.*?);", text, re.S)
        assert calls or "ap_log_" not in text, path
        for call in calls:
            ids = re.findall(r"TLSILOGNO\((\d{4})\)", call)
            assert len(ids) == 1, (path, call[:80])
            seen.append(ids[0])
    assert len(seen) == len(set(seen)) and len(seen) >= 30, seen
    for number in seen:
        assert re.search(r'<a id="tlsi%s"></a>TLSI%s \|' % (number, number),
                         ops), number


def test_probe_manual_is_rendered_from_the_man_page(tmp_path):
    page = os.path.join(REPO, "docs", "tlsinterop-probe.md")
    want = re.search(r"\(groff ([\d.]+)\)", read(page)).group(1)
    res = subprocess.run(["groff", "--version"], capture_output=True,
                         text=True)
    if res.returncode != 0 or want not in res.stdout.splitlines()[0]:
        pytest.skip("rendered with groff %s; another is installed" % want)
    out = tmp_path / "probe.md"
    subprocess.run([os.path.join(REPO, "docs", "render-manual.sh"), str(out)],
                   check=True)
    assert out.read_text() == read(page), "run make docs"
