// The journey editor: a new journey's key follows its name, as a placeholder, until staff
// type one. The server makes the same key from the name when the field is left empty
// (staff/journey_forms.py key_from_name), so without script nothing is lost.
document.addEventListener("DOMContentLoaded", () => {
  const name = document.getElementById("id_name");
  const key = document.getElementById("id_key");
  if (!name || !key) return;
  const slug = (text) =>
    text
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 50)
      .replace(/-+$/, "");
  const show = () => {
    key.placeholder = slug(name.value);
  };
  name.addEventListener("input", show);
  show();
});
