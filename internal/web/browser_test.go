package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/opsroom/opsroom/internal/apitest"
	"github.com/opsroom/opsroom/internal/cli"
	"github.com/opsroom/opsroom/internal/demo"
	"github.com/opsroom/opsroom/internal/httpapi"
	"github.com/opsroom/opsroom/internal/live"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
	"github.com/opsroom/opsroom/internal/web"
)

// chromiumPath finds Debian's chromium, or skips the test.
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/lib/chromium/chromium"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("browser tests need Debian's chromium (apt-get install chromium); not found at /usr/bin/chromium or /usr/lib/chromium/chromium")
	return ""
}

// startServer runs a real opsroom server with the demo loaded and the UI
// registered, on db.
func startServer(t testing.TB, db *store.DB) (string, *cli.Services) {
	t.Helper()
	svc := cli.NewServices(db)
	if _, err := svc.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	stop, err := live.Start(ctx, db, svc.Bus, "", log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); stop() })
	api := httpapi.New(&httpapi.Server{DB: db, Members: svc.Members, Rooms: svc.Rooms, Items: svc.Items, Bus: svc.Bus,
		Extra: svc.Routes()}, log)
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return srv.URL, svc
}

// newChromium starts one headless chromium with a fresh profile; each
// member then gets a browser context of its own (its own cookies).
func newChromium(t testing.TB) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1600, 1000),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelRoot(); cancelAlloc() })
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return root
}

// member is one member signed in, in a browser context of its own, whose
// console errors fail the test.
type member struct {
	t    testing.TB
	name string
	ctx  context.Context
	mu   sync.Mutex
	errs []string
	// refused counts the refusals (HTTP 422) a test provokes on purpose;
	// chromium logs each as a console error, which is expected then.
	refused int
}

func signIn(t testing.TB, root context.Context, base, username string) *member {
	t.Helper()
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	m := &member{t: t, name: username, ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for msg, err := range messages {
			if err != nil {
				return
			}
			if msg.Type == chromedp.ConsoleError || msg.IsException() {
				m.mu.Lock()
				m.errs = append(m.errs, msg.String())
				m.mu.Unlock()
			}
		}
	}()
	t.Cleanup(m.checkConsole)
	m.do(chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), username),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Click(chromedp.CSS("#login button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".rooms a")))
	return m
}

func (m *member) checkConsole() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.errs {
		if m.refused > 0 && strings.Contains(e, "status of 422") {
			m.refused--
			continue
		}
		m.t.Errorf("%s: console: %s", m.name, e)
	}
}

// expectRefusal notes that the next step is refused by the API on purpose.
func (m *member) expectRefusal() {
	m.mu.Lock()
	m.refused++
	m.mu.Unlock()
}

func (m *member) do(steps ...chromedp.Action[chromedp.Void]) {
	m.t.Helper()
	if err := chromedp.Do(m.ctx, steps...); err != nil {
		m.t.Fatalf("%s: %v", m.name, err)
	}
}

func (m *member) eval(js string) bool {
	m.t.Helper()
	v, err := chromedp.Run(m.ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		m.t.Fatalf("%s: %s: %v", m.name, js, err)
	}
	return v
}

// openRoom shows the room's map and waits for its items.
func (m *member) openRoom(slug string) {
	m.t.Helper()
	m.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash = '#/r/%s'`, slug)),
		chromedp.WaitVisible(chromedp.CSS(`.room[data-ready="1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.leaflet-overlay-pane canvas`)))
}

// screenshot saves the page as test-artifacts/screenshots/NAME.png at the
// repository's root.
func (m *member) screenshot(name string) {
	m.t.Helper()
	m.do(chromedp.Sleep(400 * time.Millisecond)) // let tiles of canvas settle
	png, err := chromedp.Run(m.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		m.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "..", "test-artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		m.t.Fatal(err)
	}
}

// waitFor polls js until it is true, or fails the test naming what.
func (m *member) waitFor(js, what string) {
	m.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !m.eval(js) {
		if time.Now().After(deadline) {
			m.screenshot("failed-" + m.name)
			state, _ := chromedp.Run(m.ctx, chromedp.Evaluate[string](`document.querySelector('#live').title + ' | ' + document.body.innerText.slice(0, 600)`))
			m.t.Fatalf("%s: never saw %s; page: %s", m.name, what, state)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// newClient returns a member calling the API directly, to set a scene
// up.
func newClient(t *testing.T, base, username string) *apitest.Client {
	t.Helper()
	return apitest.Login(t, base, username, demo.Password)
}

// markerJS is true while the map shows a marker titled title.
func markerJS(title string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('.leaflet-marker-icon')].some(e => e.title === %q)`, title)
}

// TestBrowser drives the UI in a real headless chromium against a real
// server with the demo loaded, on each database engine.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	chromiumPath(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		base, _ := startServer(t, db)
		root := newChromium(t)
		// First: a track shared later would make now the latest activity.
		t.Run("scenario time", func(t *testing.T) { scenarioTime(t, root, base) })
		t.Run("released to one partner", func(t *testing.T) { releasedToOnePartner(t, root, base) })
		t.Run("director approves", func(t *testing.T) { directorApproves(t, root, base) })
		t.Run("contested strike", func(t *testing.T) { contestedStrike(t, root, base) })
		t.Run("provenance echoes", func(t *testing.T) { provenanceEchoes(t, root, base) })
		t.Run("conflict accepted", func(t *testing.T) { conflictAccepted(t, root, base) })
		t.Run("rfi answered and accepted", func(t *testing.T) { rfiAnsweredAccepted(t, root, base) })
		t.Run("log entry struck", func(t *testing.T) { logEntryStruck(t, root, base) })
		t.Run("report edited", func(t *testing.T) { reportEdited(t, root, base) })
		t.Run("log grade set", func(t *testing.T) { logGradeSet(t, root, base) })
		t.Run("no stray text", func(t *testing.T) { noStrayText(t, root, base) })
		t.Run("decisions on the card", func(t *testing.T) { decisionsOnTheCard(t, root, base) })
	})
}

// page is one page of a list the API returns.
type page[T any] struct {
	Items []T `json:"items"`
}

// goTo shows the view at hash, through the rooms list so that the view is
// built afresh even when it is the one shown.
func (m *member) goTo(hash, ready string) {
	m.t.Helper()
	m.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/'`), chromedp.WaitVisible(chromedp.CSS(".rooms a")),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash = %q`, hash)), chromedp.WaitVisible(chromedp.CSS(ready)))
}

// conflictAccepted: the Damascus director accepts the room's open conflict
// (the SY convoy crossing the north-west offensive) with a reason; a
// refusal from the API (no reason given) shows in the form; the SY member,
// watching the board, sees the conflict accepted live, by whom and why.
func conflictAccepted(t *testing.T, root context.Context, base string) {
	var open page[struct {
		ID string `json:"id"`
	}]
	newClient(t, base, "ru.general").Get("/api/v1/rooms/damascus/conflicts?status=open", &open)
	if len(open.Items) == 0 {
		t.Fatal("the Damascus room has no open conflict")
	}
	li := fmt.Sprintf(`.conflicts li[data-id=%q]`, open.Items[0].ID)
	const reason = "the convoy passes before the offensive's air phase"
	// The SY member watches the operations board meanwhile.
	sy := signIn(t, root, base, "sy.officer")
	sy.goTo("#/r/damascus/ops", li)
	ru := signIn(t, root, base, "ru.general")
	ru.goTo("#/r/damascus/ops", li+" form.accept-conflict")
	ru.expectRefusal()
	ru.do(chromedp.Click(chromedp.CSS(li + " form.accept-conflict button")))
	ru.waitFor(fmt.Sprintf(`document.querySelector(%q).textContent.includes('reason')`, li+" form.accept-conflict .error"), "the API's refusal of an empty reason in the form")
	ru.do(chromedp.SendKeys(chromedp.CSS(li+" form.accept-conflict input"), reason))
	ru.screenshot("conflict-accept")
	ru.do(chromedp.Click(chromedp.CSS(li + " form.accept-conflict button")))
	ru.waitFor(fmt.Sprintf(`document.querySelector('.conflicts li[data-id=%q][data-status="accepted"]') !== null`, open.Items[0].ID), "the conflict accepted")

	sy.waitFor(fmt.Sprintf(`(li => li && li.dataset.status === 'accepted' && li.innerText.includes(%q) && li.innerText.includes('ru.general') && !li.querySelector('form'))(document.querySelector(%q))`,
		reason, li), "the conflict accepted live, by the director, with the reason, and no accept form")
	sy.screenshot("conflict-accepted")
}

// rfiAnsweredAccepted: the director asks SY a question in the UI; the SY
// member answers by linking a report; the director accepts the answer.
func rfiAnsweredAccepted(t *testing.T, root context.Context, base string) {
	const question = "Where is the Hama supply convoy now?"
	ru := signIn(t, root, base, "ru.general")
	ru.goTo("#/r/damascus/rfis", "#rfi-q")
	ru.do(chromedp.SendKeys(chromedp.CSS("#rfi-q"), question),
		chromedp.Evaluate[chromedp.Void](`(s => { s.value = 'SY'; s.dispatchEvent(new Event('change')); })(document.querySelector('#rfi-a'))`),
		chromedp.Click(chromedp.CSS(`input[name=rfi-tlp][value="GREEN"]`)),
		chromedp.Click(chromedp.CSS(`form.entry button[type=submit]`)))
	card := `[...document.querySelectorAll('.rfis .card')].find(c => c.querySelector('h3').textContent === ` + fmt.Sprintf("%q", question) + `)`
	ru.waitFor(card+` !== undefined`, "the new request in the list")
	id, err := chromedp.Run(ru.ctx, chromedp.Evaluate[string](card+`.dataset.id`))
	if err != nil {
		t.Fatal(err)
	}
	sel := fmt.Sprintf(`.rfis .card[data-id=%q]`, id)

	sy := signIn(t, root, base, "sy.officer")
	sy.goTo("#/r/damascus/rfis", sel+" details.answer-box")
	sy.do(chromedp.Click(chromedp.CSS(sel+" details.answer-box summary")),
		chromedp.WaitVisible(chromedp.CSS(sel+" ul.pick input[type=checkbox]")))
	// Linking nothing is refused by the API, and the form says why.
	sy.expectRefusal()
	sy.do(chromedp.Click(chromedp.CSS(sel + " form.answer button[type=submit]")))
	sy.waitFor(fmt.Sprintf(`document.querySelector(%q).textContent.includes('items')`, sel+" form.answer .error"), "the API's refusal of an empty answer in the form")
	sy.do(chromedp.Click(chromedp.CSS(sel + " ul.pick input[type=checkbox]")))
	sy.screenshot("rfi-answer")
	sy.do(chromedp.Click(chromedp.CSS(sel + " form.answer button[type=submit]")))
	sy.waitFor(fmt.Sprintf(`document.querySelector('.rfis .card[data-id=%q][data-status="answered"] ul.answers li') !== null`, id), "the request answered")

	ru.goTo("#/r/damascus/rfis", sel+" button.accept-rfi")
	ru.do(chromedp.Click(chromedp.CSS(sel + " button.accept-rfi")))
	ru.waitFor(fmt.Sprintf(`document.querySelector('.rfis .card[data-id=%q][data-status="accepted"]') !== null`, id), "the answer accepted")
	if ru.eval(fmt.Sprintf(`document.querySelector(%q).querySelectorAll('ul.answers li').length`, sel) + ` === 0`) {
		t.Error("the accepted request shows no answer to the asker")
	}
	ru.screenshot("rfi-accepted")
}

// logEntryStruck: a member adds a watch log entry and strikes it through
// with a reason; the entry stays, crossed out, with who struck it and why.
func logEntryStruck(t *testing.T, root context.Context, base string) {
	const text = "Convoy reported at Palmyra crossroads 0740Z"
	const reason = "wrong crossroads: it was Homs"
	sy := signIn(t, root, base, "sy.officer")
	sy.goTo("#/r/damascus/log", "#log-text")
	sy.do(chromedp.SendKeys(chromedp.CSS("#log-text"), text),
		chromedp.Click(chromedp.CSS(`input[name=log-tlp][value="GREEN"]`)),
		chromedp.Click(chromedp.CSS(`form.entry button[type=submit]`)))
	entry := `[...document.querySelectorAll('.log li')].find(li => li.querySelector('.text').textContent === ` + fmt.Sprintf("%q", text) + `)`
	sy.waitFor(entry+` !== undefined`, "the new entry in the log")
	id, err := chromedp.Run(sy.ctx, chromedp.Evaluate[string](entry+`.dataset.id`))
	if err != nil {
		t.Fatal(err)
	}
	li := fmt.Sprintf(`.log li[data-id=%q]`, id)
	sy.do(chromedp.Click(chromedp.CSS(li+" details.strike summary")),
		chromedp.SendKeys(chromedp.CSS(li+" form.strike-form input"), reason),
		chromedp.Click(chromedp.CSS(li+" form.strike-form button")))
	sy.waitFor(fmt.Sprintf(`document.querySelector(%q) !== null`, li+".struck .struck-by"), "the entry struck through")
	if !sy.eval(fmt.Sprintf(`(li => li.querySelector('.text').textContent === %q && getComputedStyle(li.querySelector('.text')).textDecorationLine.includes('line-through') && li.innerText.includes(%q) && !li.querySelector('details.strike'))(document.querySelector(%q))`, text, reason, li)) {
		t.Error("the struck entry is not readable and crossed out with its reason")
	}
	sy.screenshot("log-struck")
	// Another member sees it struck too.
	hz := signIn(t, root, base, "hz.officer")
	hz.goTo("#/r/damascus/log", ".log li")
	hz.waitFor(fmt.Sprintf(`(li => li && li.classList.contains('struck') && li.innerText.includes(%q))(document.querySelector(%q))`, reason, li), "the entry struck for another partner")
}

// reportEdited: the RU director changes the title of a report RU shared;
// the report page shows the new title and both versions.
func reportEdited(t *testing.T, root context.Context, base string) {
	var reports page[struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}]
	newClient(t, base, "ru.general").Get("/api/v1/rooms/damascus/reports?limit=100", &reports)
	id := ""
	for _, r := range reports.Items {
		if strings.HasPrefix(r.Title, "RU MoD: 8 IS targets hit") {
			id = r.ID
		}
	}
	if id == "" {
		t.Fatal("no RU MoD report in the Damascus room")
	}
	const title = "RU MoD: 8 IS targets hit (corrected: 7)"
	ru := signIn(t, root, base, "ru.general")
	ru.goTo("#/r/damascus/report/"+id, "details.edit")
	ru.do(chromedp.Click(chromedp.CSS("details.edit summary")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#re-title').value = ''`),
		chromedp.SendKeys(chromedp.CSS("#re-title"), title),
		chromedp.Click(chromedp.CSS("form.edit-report button[type=submit]")))
	ru.waitFor(fmt.Sprintf(`(h => h !== null && h.textContent.includes(%q) && document.querySelectorAll('ol.versions li').length === 2)(document.querySelector('h1.rh'))`, title),
		"the new title and both versions")
	ru.screenshot("report-edited")
}

// logGradeSet: a member who is not the room's authority sees the watch
// log's grade but cannot change it; the director sets a bad grade (the
// API's refusal shows in the form), then B2, which the server keeps.
func logGradeSet(t *testing.T, root context.Context, base string) {
	sy := signIn(t, root, base, "sy.officer")
	sy.goTo("#/r/damascus/log", "#log-grade-line")
	sy.waitFor(`document.querySelector('#log-grade') === null && document.querySelector('#log-grade-line').textContent.includes('C3')`,
		"the demo's grade C3, without a form")
	ru := signIn(t, root, base, "ru.general")
	ru.goTo("#/r/damascus/log", "details.log-grade")
	set := func(grade string) {
		ru.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('details.log-grade').open = true; document.querySelector('#log-grade').value = ''`),
			chromedp.SendKeys(chromedp.CSS("#log-grade"), grade),
			chromedp.Click(chromedp.CSS("form.log-grade button[type=submit]")))
	}
	ru.expectRefusal()
	set("Z9")
	ru.waitFor(`document.querySelector('form.log-grade .error').textContent.includes('grade')`, "the API's refusal of Z9 in the form")
	set("b2")
	ru.waitFor(`document.querySelector('#log-grade-line').textContent.includes('B2') && document.querySelector('form.log-grade .error').textContent === ''`, "the grade B2 shown")
	ru.screenshot("log-grade")
	api := newClient(t, base, "ru.general")
	var rm struct {
		LogGrade string `json:"log_grade"`
	}
	api.Get("/api/v1/rooms/damascus", &rm)
	if rm.LogGrade != "B2" {
		t.Errorf("the room's log grade is %q, want B2", rm.LogGrade)
	}
	api.Call("PATCH", "/api/v1/rooms/damascus", map[string]string{"log_grade": "C3"}, nil)
}

// releasedToOnePartner: members of two partners watch the Damascus room
// side by side; the director shares an item released to SY only. It
// appears live on the SY member's map and list, and never on HZ's.
func releasedToOnePartner(t *testing.T, root context.Context, base string) {
	sy := signIn(t, root, base, "sy.officer")
	hz := signIn(t, root, base, "hz.officer")
	ru := signIn(t, root, base, "ru.general")
	ru.screenshot("rooms")
	for _, m := range []*member{sy, hz, ru} {
		m.openRoom(demo.Damascus)
	}

	const title = "Convoy at the Palmyra crossroads (SY only)"
	ru.do(chromedp.KeyEvent("n"),
		chromedp.WaitVisible(chromedp.CSS("#ni-title")),
		// The protocol types the shortcut's character into the field the
		// shortcut focused (a real keyboard does not); clear it.
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#ni-title').value = ''`),
		chromedp.SendKeys(chromedp.CSS("#ni-title"), title),
		chromedp.SendKeys(chromedp.CSS("#ni-text"), "Twelve vehicles heading east."),
		chromedp.Click(chromedp.CSS(`input[name=ni-tlp][value="AMBER"]`)),
		chromedp.Click(chromedp.CSS(`input[name=ni-rel][value="SY"]`)),
		chromedp.SendKeys(chromedp.CSS("#ni-lat"), "34.55"),
		chromedp.SendKeys(chromedp.CSS("#ni-lon"), "38.27"))
	ru.screenshot("new-item")
	ru.do(chromedp.Click(chromedp.CSS("#ni-share")),
		chromedp.WaitNotPresent(chromedp.CSS("dialog")))

	sy.waitFor(markerJS(title), "the item released to SY on the SY member's map")
	if !sy.eval(fmt.Sprintf(`document.querySelector('.list').innerText.includes(%q)`, title)) {
		t.Error("the item is on SY's map but not in SY's list")
	}
	if !sy.eval(`[...document.querySelectorAll('.list .tlp')].some(e => e.textContent === 'TLP:AMBER' && getComputedStyle(e).color === 'rgb(255, 192, 0)')`) {
		t.Error("the marking is not shown in the TLP:AMBER colour")
	}
	sy.screenshot("map-live")

	// HZ keeps watching for a while: the item never shows.
	for range 5 {
		if hz.eval(markerJS(title)) || hz.eval(fmt.Sprintf(`document.body.innerText.includes(%q)`, title)) {
			t.Fatal("the item released to SY only appeared to the HZ member")
		}
		time.Sleep(time.Second)
	}
	hz.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/r/damascus/items'`),
		chromedp.WaitVisible(chromedp.CSS(`.page table`)))
	if hz.eval(fmt.Sprintf(`document.body.innerText.includes(%q)`, title)) {
		t.Fatal("the item released to SY only is in the HZ member's items list")
	}
	sy.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/r/damascus/items'`),
		chromedp.WaitVisible(chromedp.CSS(`.page table a`)))
	sy.waitFor(fmt.Sprintf(`document.querySelector('.page table').innerText.includes(%q)`, title), "the item in SY's items list")
	sy.screenshot("items")
}

// directorApproves: IR proposes an operation in the Damascus room; the
// director sees it in the approval panel and approves it through the UI.
func directorApproves(t *testing.T, root context.Context, base string) {
	const title = "Air support for the Talbiseh pocket"
	ir := newClient(t, base, "ir.commander")
	var op struct {
		ID string `json:"id"`
	}
	ir.Post("/api/v1/rooms/damascus/operations", map[string]any{
		"name": title, "lead": "IR", "marking": map[string]any{"tlp": "AMBER"},
		"area":       map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{36.65, 34.80}, {36.80, 34.80}, {36.80, 34.90}, {36.65, 34.90}, {36.65, 34.80}}}},
		"window":     map[string]any{"start": "2015-10-12T04:00:00Z", "end": "2015-10-12T10:00:00Z"},
		"components": []map[string]string{{"partner": "IR", "component": "ground forces"}, {"partner": "RU", "component": "air support"}},
	}, &op)
	ir.Post("/api/v1/operations/"+op.ID+"/propose", map[string]any{}, nil)

	ru := signIn(t, root, base, "ru.general")
	card := fmt.Sprintf(`.card[data-id=%q]`, op.ID)
	ru.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/r/damascus/ops'`),
		chromedp.WaitVisible(chromedp.CSS(`.col[data-status=proposed] `+card+` button.approve`)),
		chromedp.SendKeys(chromedp.CSS(card+` .approval input`), "air support from Hmeimim"))
	ru.screenshot("operations-proposed")
	ru.do(chromedp.Click(chromedp.CSS(card+` button.approve`)),
		chromedp.WaitVisible(chromedp.CSS(`.col[data-status=approved] `+card)))
	ru.screenshot("operations-approved")

	// The approval reached the server and the watch log.
	var got struct {
		Status string `json:"status"`
	}
	ir.Get("/api/v1/operations/"+op.ID, &got)
	if got.Status != "approved" {
		t.Fatalf("status after approval in the UI: %q", got.Status)
	}
	ru.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/r/damascus/log'`),
		chromedp.WaitVisible(chromedp.CSS(`.log li`)))
	ru.waitFor(fmt.Sprintf(`document.querySelector('.log').innerText.includes(%q)`, title), "the approval in the watch log")
	ru.screenshot("watch-log")

	// The map draws operations and the conflicts' overlaps.
	ru.openRoom(demo.Damascus)
	ru.screenshot("map-operations")

	// Going back to 30 September 2015 shows that day's picture: the strikes.
	ru.do(chromedp.Evaluate[chromedp.Void](`(s => { s.value = '2015-09-30T12:00'; s.dispatchEvent(new Event('change')); })(document.querySelector('.timebar input.when'))`))
	ru.waitFor(`document.querySelector('.timebar output').textContent.startsWith('2015-09-30') && `+
		`Number(document.querySelector('input[data-layer="events"]').parentNode.querySelector('.n').textContent) > 0`, "the events of 30 September 2015")
	ru.screenshot("map-2015-09-30")
}

// contestedStrike: the claims board shows the Latamneh strike as
// contested, its competing claims side by side with their independent
// origins.
func contestedStrike(t *testing.T, root context.Context, base string) {
	// A track shared now shows on the map as its MIL-STD-2525 symbol.
	const track = "IR armoured column"
	ir := newClient(t, base, "ir.commander")
	var tr struct {
		ID string `json:"id"`
	}
	ir.Post("/api/v1/rooms/damascus/tracks", map[string]any{"title": track, "type": "a-f-G-U-C-A", "uid": "ir-armour-1",
		"stale_seconds": 3600, "marking": map[string]any{"tlp": "GREEN"}}, &tr)
	ir.Post("/api/v1/tracks/"+tr.ID+"/positions", map[string]any{"positions": []map[string]any{
		{"at": time.Now().UTC().Format(time.RFC3339), "lat": 35.05, "lon": 37.3}}}, nil)
	sy := signIn(t, root, base, "sy.officer")
	sy.openRoom(demo.Damascus)
	sy.waitFor(fmt.Sprintf(`[...document.querySelectorAll('img.leaflet-marker-icon')].some(e => e.title === %q && e.src.startsWith('data:image/png'))`, track),
		"the track drawn as a MIL-STD-2525 symbol")
	sy.screenshot("map-track")

	sy.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/r/damascus/claims'`),
		chromedp.WaitVisible(chromedp.CSS(`.event.contested`)))
	const latamneh = `[...document.querySelectorAll('.event.contested')].find(e => e.querySelector('h2').innerText.includes('Latamneh'))`
	sy.waitFor(latamneh+` !== undefined`, "the Latamneh strike marked contested")
	if !sy.eval(latamneh + `.querySelectorAll('.side-col')[0].querySelectorAll('.claim').length > 0 && ` +
		latamneh + `.querySelectorAll('.side-col')[1].querySelectorAll('.claim').length > 0`) {
		t.Error("the Latamneh strike's claims are not on both sides")
	}
	if !sy.eval(latamneh + `.innerText.includes('independent origin')`) {
		t.Error("the claims do not show their independent origins")
	}
	sy.screenshot("claims")
}

// provenanceEchoes: a report's page draws its provenance, with the report
// that repeats it shown as an echo.
func provenanceEchoes(t *testing.T, root context.Context, base string) {
	ru := signIn(t, root, base, "ru.general")
	ru.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#/r/damascus/intel'`),
		chromedp.WaitVisible(chromedp.CSS(`.reports .report .grade`)))
	if !ru.eval(`/^[A-F][1-6]$/.test(document.querySelector('.reports .grade').textContent)`) {
		t.Error("the feed does not show Admiralty grades such as B2")
	}
	ru.screenshot("intel")
	ru.do(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('.reports a.rt')].find(a => a.textContent.startsWith('Two joint operations rooms')).click()`),
		chromedp.WaitVisible(chromedp.CSS(`svg.prov .node.echo`)))
	if !ru.eval(`[...document.querySelectorAll('svg.prov .node.echo')].some(n => n.parentNode.textContent.includes('NOW reports'))`) {
		t.Error("the provenance graph does not show the NOW report as an echo")
	}
	ru.screenshot("provenance")
}

// TestAssets: the page and its assets carry the security and caching
// headers, and every asset the page names is served.
func TestAssets(t *testing.T) {
	h := web.New()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	mux := http.NewServeMux()
	h.Mount(mux.Handle)
	mux.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("GET /: %d", rec.Code)
	}
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
		t.Errorf("CSP %q", csp)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-cache" {
		t.Errorf("index Cache-Control %q", got)
	}
	page := rec.Body.String()
	var assets []string
	for _, part := range strings.Split(page, `"/assets/`)[1:] {
		assets = append(assets, part[:strings.IndexByte(part, '"')])
	}
	if len(assets) < 6 {
		t.Fatalf("index names %d assets: %v", len(assets), assets)
	}
	for _, a := range assets {
		for _, gz := range []bool{false, true} {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/assets/"+a, nil)
			if gz {
				req.Header.Set("Accept-Encoding", "gzip")
			}
			mux.ServeHTTP(rec, req)
			if rec.Code != 200 || rec.Body.Len() == 0 {
				t.Errorf("%s: %d", a, rec.Code)
				continue
			}
			if got := rec.Header().Get("Cache-Control"); !strings.Contains(got, "immutable") {
				t.Errorf("%s: Cache-Control %q", a, got)
			}
			if enc := rec.Header().Get("Content-Encoding"); (enc == "gzip") != gz {
				t.Errorf("%s: gzip asked %v, Content-Encoding %q", a, gz, enc)
			}
		}
	}
	for _, path := range []string{"/assets/index.html", "/assets/../web.go", "/assets/nope.js"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 404 && rec.Code != 301 && rec.Code != 307 {
			t.Errorf("%s: %d, want not found", path, rec.Code)
		}
	}
}

// noStrayText: nothing prints "null", "{}" or "[object …]" where a
// member looks: the operations board of a member without authority, an
// event opened from the list (its own fields, its time apart from its
// share time) and the keyboard help.
func noStrayText(t *testing.T, root context.Context, base string) {
	const stray = `(el => ['null', 'Body {}', '[object', 'undefined'].filter(s => el.innerText.includes(s)))`
	strayIn := func(m *member, sel string) string {
		got, err := chromedp.Run(m.ctx, chromedp.Evaluate[[]string](stray+fmt.Sprintf(`(document.querySelector(%q))`, sel)))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, ", ")
	}
	sy := signIn(t, root, base, "sy.officer")
	sy.goTo("#/r/damascus/ops", ".board")
	if s := strayIn(sy, "main"); s != "" {
		t.Errorf("the operations board shows %s to a member without authority", s)
	}
	sy.goTo("#/r/damascus/items", ".page table a")
	sy.do(chromedp.SendKeys(chromedp.CSS(".page .filter input[type=search]"), "Latamneh"),
		chromedp.SendKeys(chromedp.CSS(`.page .filter select[aria-label="Kind"]`), "event"))
	sy.waitFor(`[...document.querySelectorAll('.page table a')].length === 1`, "the Latamneh strike alone in the list")
	sy.do(chromedp.Click(chromedp.CSS(".page table a")))
	// The page's kind record (details, times) is fetched after its title.
	sy.waitFor(`location.hash.includes('/item/') && document.querySelector('main h1') !== null && document.querySelector('dl.details') !== null && document.querySelector('dd.event-time') !== null && document.querySelector('dd.share-time') !== null`, "the event's page with its details and times")
	if s := strayIn(sy, "main"); s != "" {
		t.Errorf("the event's page shows %s", s)
	}
	if !sy.eval(`document.querySelector('dd.event-time').textContent.startsWith('2015-') && document.querySelector('dd.share-time').textContent.startsWith('20') && document.querySelector('dl.details') !== null`) {
		t.Error("the event's page does not show its time, its share time and its details apart")
	}
	sy.screenshot("event-page")
	sy.do(chromedp.KeyEvent("?"), chromedp.WaitVisible(chromedp.CSS("dialog.help")))
	if s := strayIn(sy, "dialog.help"); s != "" || !sy.eval(`document.querySelectorAll('dialog.help kbd').length > 5`) {
		t.Errorf("the keyboard help shows %q and not its keys", s)
	}
	sy.screenshot("help")
	sy.do(chromedp.KeyEvent("\x1b"), chromedp.WaitNotPresent(chromedp.CSS("dialog.help")))
}

// scenarioTime: the Damascus room opens at its latest activity (30
// September 2015, not now); the list follows the events' time, not the
// share time, when the slider moves; the list, the popup, the event's page
// and the watch log show the event's time and the share time apart,
// labelled, and intervals readably.
func scenarioTime(t *testing.T, root context.Context, base string) {
	hz := signIn(t, root, base, "hz.officer")
	hz.openRoom(demo.Damascus)
	hz.waitFor(`document.querySelector('.timebar output').textContent.startsWith('2015-09-30') && `+
		`Number(document.querySelector('input[data-layer="events"]').parentNode.querySelector('.n').textContent) > 0`, "the room opened on 30 September 2015 with its events")
	const latamneh = `[...document.querySelectorAll('.list li')].find(li => li.querySelector('.t').textContent.startsWith('Air strikes on Latamneh'))`
	hz.waitFor(latamneh+` !== undefined`, "the Latamneh strike in the list")
	if !hz.eval(latamneh + `.querySelector('.whenline .when').textContent.startsWith('event time 2015-09-30') && ` + latamneh + `.querySelector('.whenline .shared').textContent.startsWith('shared 20')`) {
		t.Error("the list does not show the event's time and its share time apart")
	}
	hz.screenshot("map-opens-2015")
	// From the list to the popup to the event's page, by clicking.
	hz.do(chromedp.Evaluate[chromedp.Void](latamneh+`.setAttribute('data-pick', '1')`), chromedp.Click(chromedp.CSS(`.list li[data-pick="1"]`)))
	hz.waitFor(`(p => p !== null && p.innerText.includes('Event time: 2015-09-30') && p.innerText.includes('Shared: 20'))(document.querySelector('.leaflet-popup-content'))`,
		"the popup with the event's time and its share time")
	hz.screenshot("popup-times")
	hz.do(chromedp.Click(chromedp.CSS(".leaflet-popup-content a")))
	hz.waitFor(`(d => d !== null && d.textContent === '2015-09-30 00:00–23:59Z')(document.querySelector('dd.event-time'))`, "the event's page with its time")

	// The slider, moved back a step by keyboard, shows the days before the
	// strikes: earlier events are listed, the strikes are not.
	hz.openRoom(demo.Damascus)
	hz.waitFor(`document.querySelector('.timebar output').textContent.startsWith('2015-09-30')`, "the room at 30 September 2015")
	hz.do(chromedp.KeyEvent("t"), chromedp.KeyEvent(kb.ArrowLeft))
	hz.waitFor(`document.querySelector('.timebar output').textContent.startsWith('2015-09-2') && `+
		`[...document.querySelectorAll('.list li .t')].some(e => e.textContent.startsWith('IR troops arrive')) && `+
		`![...document.querySelectorAll('.list li .t')].some(e => e.textContent.startsWith('Air strikes on Latamneh'))`, "the list of the days before the strikes")
	hz.screenshot("map-slider-back")

	// The watch log: intervals readable, the event's time apart from the
	// time of logging.
	ru := signIn(t, root, base, "ru.general")
	ru.goTo("#/r/damascus/log", ".log li")
	ru.waitFor(`[...document.querySelectorAll('.log li .text')].some(e => e.textContent.includes('2015-10-05 06:00 – 2015-10-06 18:00Z'))`, "the conflict's interval, readable")
	if ru.eval(`/\d{4}-\d\d-\d\dT\d\d:/.test(document.querySelector('.log').innerText)`) {
		t.Error("the watch log shows raw ISO times")
	}
	if !ru.eval(`[...document.querySelectorAll('.log li .when')].some(e => e.textContent.startsWith('event time 2015-09-30'))`) {
		t.Error("the watch log does not show the event's time of an entry about an event")
	}
	ru.screenshot("log-times")
}

// decisionsOnTheCard: in Baghdad (two co-directors) IR proposes an
// operation over the protected Erbil aid site. The IQ co-director sees on
// its card both approvers pending and the operation's own open conflict
// above Approve, and the count of open conflicts on the Operations tab;
// after approving, the card shows "IQ ✓ hh:mm · IR pending" and no
// Approve; accepting the conflict lowers the count, which stays until
// then. A member without authority is told why they cannot decide. The
// protected site stays out of the clusters, however far out one zooms.
func decisionsOnTheCard(t *testing.T, root context.Context, base string) {
	const title = "Erbil perimeter security"
	ir := newClient(t, base, "ir.commander")
	var op struct {
		ID string `json:"id"`
	}
	ir.Post("/api/v1/rooms/baghdad/operations", map[string]any{
		"name": title, "lead": "IR", "marking": map[string]any{"tlp": "AMBER"},
		"area":       map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{43.9, 36.1}, {44.1, 36.1}, {44.1, 36.3}, {43.9, 36.3}, {43.9, 36.1}}}},
		"window":     map[string]any{"start": "2015-10-20T04:00:00Z", "end": "2015-10-21T10:00:00Z"},
		"components": []map[string]string{{"partner": "IR", "component": "ground forces"}},
	}, &op)
	ir.Post("/api/v1/operations/"+op.ID+"/propose", map[string]any{}, nil)

	iq := signIn(t, root, base, "iq.commander")
	card := fmt.Sprintf(`.card[data-id=%q]`, op.ID)
	iq.goTo("#/r/baghdad/ops", card+" button.approve")
	iq.waitFor(fmt.Sprintf(`(c => c.querySelector('.approvers').textContent === 'IQ pending · IR pending' && `+
		`c.querySelector('.op-conflicts li') !== null && `+
		`(c.querySelector('.op-conflicts').compareDocumentPosition(c.querySelector('button.approve')) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0)(document.querySelector(%q))`, card),
		"both approvers pending and the operation's open conflict above Approve")
	countJS := `(b => b && !b.hidden ? Number(b.textContent) : 0)(document.querySelector('#tabs a[data-view="ops"] .alert-count'))`
	iq.waitFor(countJS+` > 0`, "the count of open conflicts on the Operations tab")
	n, err := chromedp.Run(iq.ctx, chromedp.Evaluate[int](countJS))
	if err != nil {
		t.Fatal(err)
	}
	iq.screenshot("card-proposed")
	iq.do(chromedp.Click(chromedp.CSS(card + " button.approve")))
	iq.waitFor(fmt.Sprintf(`(c => c !== null && /^IQ ✓ \d\d:\d\d · IR pending$/.test(c.querySelector('.approvers').textContent) && `+
		`c.querySelector('button.approve') === null && c.querySelector('.decided').textContent.includes('waiting for IR'))(document.querySelector(%q))`, card),
		"IQ approved, IR pending and no Approve for IQ")
	iq.screenshot("card-approved-once")
	// The alert stays until the conflict is accepted.
	time.Sleep(6 * time.Second)
	if got, _ := chromedp.Run(iq.ctx, chromedp.Evaluate[int](countJS)); got != n {
		t.Errorf("the open-conflict count went from %d to %d before anything was accepted", n, got)
	}
	var cons page[struct {
		ID    string `json:"id"`
		Sides []struct {
			ItemID string `json:"item_id"`
		} `json:"sides"`
	}]
	ir.Get("/api/v1/rooms/baghdad/conflicts?status=open", &cons)
	cid := ""
	for _, c := range cons.Items {
		for _, s := range c.Sides {
			if s.ItemID == op.ID {
				cid = c.ID
			}
		}
	}
	if cid == "" {
		t.Fatal("the operation over the Erbil site raised no open conflict")
	}
	li := fmt.Sprintf(`.conflicts li[data-id=%q]`, cid)
	iq.do(chromedp.SendKeys(chromedp.CSS(li+" form.accept-conflict input"), "perimeter only, no strike"),
		chromedp.Click(chromedp.CSS(li+" form.accept-conflict button")))
	iq.waitFor(fmt.Sprintf(`%s === %d`, countJS, n-1), "the count lowered once the conflict is accepted")

	hz := signIn(t, root, base, "hz.officer")
	hz.goTo("#/r/baghdad/ops", card)
	hz.waitFor(fmt.Sprintf(`(c => c.querySelector('button.approve') === null && c.querySelector('.cannot').textContent.includes('co-directors'))(document.querySelector(%q))`, card),
		"why a member without authority cannot decide")

	// The protected site, zoomed out to the whole world, is still a marker
	// of its own that stands out.
	iq.openRoom("baghdad")
	site := `document.querySelector('.leaflet-marker-icon.protected-site[title="Erbil aid distribution site"]')`
	iq.waitFor(site+` !== null`, "the protected Erbil site on the map")
	if !iq.eval(`document.querySelector('.list li') !== null && !/\d{4}-\d\d-\d\dT\d\d:/.test(document.querySelector('.list').innerText)`) {
		t.Error("the list beside the map shows raw ISO times in titles")
	}
	for range 8 {
		iq.do(chromedp.Click(chromedp.CSS(".leaflet-control-zoom-out")), chromedp.Sleep(150*time.Millisecond))
	}
	iq.waitFor(site+` !== null && getComputedStyle(`+site+`.querySelector('.shield')).backgroundColor === 'rgb(255, 255, 255)'`, "the protected site unclustered at the widest zoom")
	iq.screenshot("protected-site")
}
