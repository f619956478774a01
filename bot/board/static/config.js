"use strict";
// The configurable tab's settings page: one board, nothing to choose.
(async function () {
  const teams = window.microsoftTeams;
  if (!teams || window.parent === window) return;  // outside Teams there is nothing to configure
  await teams.app.initialize();
  const base = window.location.origin + "/board/";
  teams.pages.config.registerOnSaveHandler(function (save) {
    teams.pages.config.setConfig({ entityId: "sla-board", contentUrl: base, websiteUrl: base,
      suggestedDisplayName: "SLA board" }).then(function () { save.notifySuccess(); });
  });
  teams.pages.config.setValidityState(true);
})();
