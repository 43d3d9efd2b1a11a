// The local tenant's login form: plain HTML, so a test can fill it in over HTTP.
import { escapeHtml } from "../errors";

export function loginPage(uid: string, clientId: string, error: string | undefined): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Log in - local tenant</title></head>
<body>
<h1>Log in to ${escapeHtml(clientId)}</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/u/login/${escapeHtml(uid)}">
  <label>Email or user id <input name="username" autocomplete="username" autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <button type="submit">Continue</button>
</form>
</body>
</html>
`;
}
