/* Passkeys and security keys (WebAuthn): a form marked data-passkey="register" or "sign-in"
 * asks the server for the ceremony's options (POST to data-options, with the CSRF token), runs
 * navigator.credentials.create() or .get(), puts the browser's answer in the form's hidden
 * "credential" field and sends the form. The server checks everything (portal/auth/passkeys.py).
 * Without JavaScript or WebAuthn the form says so and the other ways stay. */
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64), bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer), binary = "";
    for (var i = 0; i < bytes.length; i += 1) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(json) {
    json.challenge = toBytes(json.challenge);
    json.user.id = toBytes(json.user.id);
    (json.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return json;
  }

  function requestOptions(json) {
    json.challenge = toBytes(json.challenge);
    (json.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return json;
  }

  function answer(credential) {
    var response = credential.response, out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      if (response.getTransports) { out.response.transports = response.getTransports(); }
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      if (response.userHandle) { out.response.userHandle = toText(response.userHandle); }
    }
    if (credential.authenticatorAttachment) {
      out.authenticatorAttachment = credential.authenticatorAttachment;
    }
    return JSON.stringify(out);
  }

  function say(form, text) {
    var status = form.querySelector("[data-passkey-status]");
    if (status) { status.textContent = text; status.hidden = false; }
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var button = form.querySelector("button[type=submit]");
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(form, window.portalWord("no_passkeys"));
      if (button) { button.disabled = true; }
      return;
    }
    form.addEventListener("submit", function (event) {
      var field = form.querySelector("input[name=credential]");
      if (field.value) { return; }  // the answer is in: let the form go
      event.preventDefault();
      if (button) { button.disabled = true; }
      var token = form.querySelector("input[name=csrf_token]").value;
      var registering = form.dataset.passkey === "register";
      fetch(form.dataset.options, {
        method: "POST",
        headers: { "X-CSRFToken": token },
        credentials: "same-origin"
      }).then(function (response) {
        if (!response.ok) { throw new Error("options " + response.status); }
        return response.json();
      }).then(function (json) {
        return registering
          ? navigator.credentials.create({ publicKey: creationOptions(json) })
          : navigator.credentials.get({ publicKey: requestOptions(json) });
      }).then(function (credential) {
        field.value = answer(credential);
        form.submit();
      }).catch(function () {
        if (button) { button.disabled = false; }
        say(form, window.portalWord("passkey_silent"));
      });
    });
  });
}());
