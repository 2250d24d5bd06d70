// Docked-pose viewer: receptor cartoon + pocket residues, crystal ligand (grey) and best pose (green).
// Loaded as a file (the app's CSP forbids inline scripts); URLs come from data attributes.
(function () {
  const el = document.getElementById("viewer");
  if (!el || typeof $3Dmol === "undefined") return;
  const viewer = $3Dmol.createViewer(el, { backgroundColor: "white" });
  const get = (url) => fetch(url, { credentials: "same-origin" }).then((r) => r.text());
  Promise.all([get(el.dataset.receptor), get(el.dataset.poses), get(el.dataset.reference)]).then(([pdb, sdf, ref]) => {
    const protein = viewer.addModel(pdb, "pdb");
    protein.setStyle({}, { cartoon: { color: "lightblue", opacity: 0.8 } });
    const crystal = viewer.addModel(ref, "sdf");
    crystal.setStyle({}, { stick: { colorscheme: "grayCarbon", radius: 0.12 } });
    const poses = viewer.addModelsAsFrames(sdf, "sdf");
    poses.setStyle({}, { stick: { colorscheme: "greenCarbon" } });
    viewer.setStyle({ model: protein, within: { distance: 5, sel: { model: crystal } } },
      { cartoon: { color: "lightblue" }, stick: { radius: 0.1 } });
    viewer.zoomTo({ model: crystal });
    viewer.render();
  });
})();
