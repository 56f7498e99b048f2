"""Helpers for the browser tests: axe-core checks, house-style checks and step screenshots."""

from pathlib import Path

from django.conf import settings

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"


def assert_accessible(page) -> None:
    """Run axe-core's WCAG 2.2 A/AA rules on the page as it is now; fail listing every violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through DevTools rather than added as a <script>: the Content Security Policy refuses an
        # inline script without the page's nonce, as it should.
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    violations = result["violations"]
    if violations:
        lines = [f"{len(violations)} accessibility violation(s) on {page.url}:"]
        for violation in violations:
            node = violation["nodes"][0]
            lines.append(
                f"- {violation['id']} ({violation['impact']}): {violation['help']}\n"
                f"    first of {len(violation['nodes'])} element(s): {node['target']}\n"
                f"    {node['html'][:300]}"
            )
        raise AssertionError("\n".join(lines))


# Our styles, not GOV.UK's identity: the stylesheet loaded, every piece of text in Arial (so none is left
# unstyled, and none is in GOV.UK's GDS Transport), and no GOV.UK crown or logo.
HOUSE_STYLE_JS = """() => {
  const problems = [];
  if (getComputedStyle(document.body).marginTop !== '0px')
    problems.push('app.css did not load (the body still has the browser default margin)');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || seen.has(el) || el.closest('script, style, noscript')) continue;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;  // not shown, or for screen readers only
    seen.add(el);
    const family = getComputedStyle(el).fontFamily;
    if (!family.startsWith('Arial')) {
      problems.push(`text in ${family}: <${el.tagName.toLowerCase()} class="${el.className}"> ${el.textContent.trim().slice(0, 60)}`);
    }
  }
  if (document.querySelector('.govuk-header__logotype, .govuk-logo-dot, svg[aria-label="GOV.UK"]'))
    problems.push('the GOV.UK logo is on the page');
  return problems;
}"""


def house_style_problems(page) -> list[str]:
    return page.evaluate(HOUSE_STYLE_JS)


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG of the page as artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


class PageChecks:
    """Screenshot and check each page a journey visits: axe-core, house style, and no JavaScript errors.
    Problems are collected so one run reports every page's; call assert_all_clean() at the end of the test."""

    def __init__(self, page):
        self.page = page
        self.failures: list[str] = []
        self.script_errors: list[str] = []
        page.on("pageerror", lambda error: self.script_errors.append(f"{page.url}: {error}"))
        page.on(
            "console",
            lambda message: message.type == "error" and self.script_errors.append(f"{page.url}: {message.text}"),
        )

    def __call__(self, name: str) -> None:
        screenshot(self.page, name)
        problems = house_style_problems(self.page)
        try:
            assert_accessible(self.page)
        except AssertionError as error:
            problems.append(str(error))
        for problem in problems:
            self.failures.append(f"[{name}] {problem}")
            print(self.failures[-1])  # shown with the test's output if a later step fails first

    def assert_all_clean(self) -> None:
        failures = self.failures + [f"JavaScript error: {error}" for error in self.script_errors]
        assert not failures, "\n\n".join(failures)
