// Bulk issuance: sends the chosen CSV file as it is, reads the progress lines the server
// streams back, then points to the districts' hand-out, or offers the province-wide credential
// sheet (one download only) when the officer asked for it.

const form = document.getElementById("issue-form");
const bar = document.getElementById("issue-bar");
const status = document.getElementById("issue-status");

function show(id) {
  document.getElementById(id).hidden = false;
}

function handle(event) {
  if (event.error) {
    status.textContent = event.error;
    return;
  }
  if (event.total) {
    bar.max = event.total;
    bar.value = event.done;
    status.textContent = `Đã xử lý ${event.done}/${event.total} cơ sở`;
  }
  if (event.summary) {
    const s = event.summary;
    show("issue-result");
    document.getElementById("issue-summary").textContent =
      `Đợt ${s.batch}: ${s.issued} tài khoản mới, ${s.already} cơ sở đã có tài khoản, ${s.rejected} dòng không cấp được.`;
    if (event.sheet) {
      document.getElementById("issue-sheet-link").href = event.sheet;
      show("issue-sheet");
    }
    if (event.handOut) show("issue-hand-out");
    const problems = event.problems || [];
    if (problems.length > 0) {
      const body = document.querySelector("#issue-problems tbody");
      for (const p of problems) {
        const row = body.insertRow();
        row.insertCell().textContent = p.line;
        row.insertCell().textContent = p.reason;
      }
      show("issue-problems");
    }
  }
}

form.addEventListener("submit", async (submit) => {
  submit.preventDefault();
  const file = document.getElementById("issue-file").files[0];
  if (!file) return;
  const note = encodeURIComponent(document.getElementById("issue-note").value);
  form.querySelector("button").disabled = true;
  show("issue-progress");
  status.textContent = "Đang gửi tệp…";
  try {
    const sheet = document.getElementById("issue-issuer-sheet").checked ? "&sheet=issuer" : "";
    const response = await fetch(`/issue?note=${note}${sheet}`, {
      method: "POST",
      headers: { "Content-Type": "text/csv", "X-CSRF-Token": form.dataset.csrf },
      body: file,
      credentials: "same-origin",
    });
    if (!response.ok) {
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      status.textContent = page.querySelector(".error p")?.textContent || `Lỗi ${response.status}`;
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let pending = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      let newline;
      while ((newline = pending.indexOf("\n")) >= 0) {
        handle(JSON.parse(pending.slice(0, newline)));
        pending = pending.slice(newline + 1);
      }
    }
  } catch (error) {
    status.textContent = "Mất kết nối trong khi cấp. Gửi lại cùng tệp: không cấp trùng.";
  } finally {
    form.querySelector("button").disabled = false;
  }
});
