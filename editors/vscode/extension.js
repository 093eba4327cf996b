// Starts the Warrant language server (`warrant lsp`) for rulebooks. Highlighting needs none of this;
// the language server needs `npm install` in this folder and Warrant installed with its `lsp` extra.
const vscode = require("vscode");

let client;

function activate(context) {
  let languageclient;
  try {
    languageclient = require("vscode-languageclient/node");
  } catch (err) {
    vscode.window.showWarningMessage(
      "Warrant: run `npm install` in the extension's folder to start the language server.");
    return;
  }
  const command = vscode.workspace.getConfiguration("warrant").get("server.command", "warrant");
  client = new languageclient.LanguageClient(
    "warrant", "Warrant language server", { command, args: ["lsp"] },
    { documentSelector: [{ scheme: "file", language: "warrant" }, { scheme: "untitled", language: "warrant" }] });
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
