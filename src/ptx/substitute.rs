//! Variants by explicit text substitution: a kernel file holds `{{NAME}}` placeholders and a
//! variant names a value for each. Nothing else is generated.

use crate::{Error, Result};

/// Replace every `{{NAME}}` in `template` by its value in `vars`. A placeholder without a
/// value, or a value whose placeholder is absent, is an error naming it (both are typos).
pub fn render(template: &str, vars: &[(&str, String)]) -> Result<String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    let mut used = vec![false; vars.len()];
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| Error::Ptx(format!("unclosed '{{{{' at '{}'", snippet(after))))?;
        let name = &after[..end];
        let idx = vars
            .iter()
            .position(|(k, _)| *k == name)
            .ok_or_else(|| Error::Ptx(format!("placeholder {{{{{name}}}}} has no value")))?;
        used[idx] = true;
        out.push_str(&vars[idx].1);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    if let Some(i) = used.iter().position(|u| !u) {
        return Err(Error::Ptx(format!(
            "value for {} given but the text has no {{{{{}}}}}",
            vars[i].0, vars[i].0
        )));
    }
    Ok(out)
}

fn snippet(s: &str) -> &str {
    let end = s.char_indices().nth(20).map(|(i, _)| i).unwrap_or(s.len());
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_placeholder() {
        let t = "a {{X}} b {{Y}} c {{X}}";
        let r = render(t, &[("X", "1".into()), ("Y", "22".into())]).unwrap();
        assert_eq!(r, "a 1 b 22 c 1");
    }

    #[test]
    fn missing_and_unused_values_are_errors() {
        let e = render("{{X}} {{Z}}", &[("X", "1".into())]).unwrap_err();
        assert!(e.to_string().contains("{{Z}}"), "{e}");
        let e = render("{{X}}", &[("X", "1".into()), ("W", "2".into())]).unwrap_err();
        assert!(e.to_string().contains("W"), "{e}");
        assert!(render("{{X", &[]).is_err());
    }
}
