//! `image tree`: an image's layers, and with `--whatrequires` the images built on it.

use clap::Args;
use libpod::Runtime;

use super::history::go_size;
use crate::commands::Outcome;

#[derive(Args, Debug)]
pub struct TreeArgs {
    /// Show all child images and layers of the specified image
    #[arg(long)]
    whatrequires: bool,
    /// Image to show the layers of
    image: String,
}

/// gotree's rendering: children under `├── `/`└── `, nested with `│   `/`    `.
struct TreeNode {
    text: String,
    children: Vec<TreeNode>,
}

fn render_tree(node: &TreeNode) -> String {
    fn items(out: &mut String, children: &[TreeNode], prefix: &str) {
        for (i, c) in children.iter().enumerate() {
            let last = i + 1 == children.len();
            out.push_str(prefix);
            out.push_str(if last { "└── " } else { "├── " });
            out.push_str(&c.text);
            out.push('\n');
            let deeper = format!("{prefix}{}", if last { "    " } else { "│   " });
            items(out, &c.children, &deeper);
        }
    }
    let mut out = format!("{}\n", node.text);
    items(&mut out, &node.children, "");
    out
}

fn go_list(names: &[String]) -> String {
    format!("[{}]", names.join(" "))
}

fn tree_line(id: &str, size: u64, top_of: &[String]) -> String {
    let tags = if top_of.is_empty() {
        String::new()
    } else {
        format!(" Top Layer of: {}", go_list(top_of))
    };
    format!(
        "ID: {} Size: {:>7}{tags}",
        &id[..12.min(id.len())],
        go_size(size, 4)
    )
}

pub fn tree(rt: &Runtime, a: TreeArgs) -> Outcome {
    let image = rt.image(&a.image)?;
    let stack = rt.image_layer_stack(&image)?;
    let mut root = TreeNode {
        text: format!(
            "Image ID: {}\nTags:     {}\nSize:     {}\n{}",
            &image.id[..12],
            go_list(&image.names),
            go_size(image.size, 4),
            if stack.is_empty() {
                "No Image Layers"
            } else {
                "Image Layers"
            }
        ),
        children: Vec::new(),
    };
    if !a.whatrequires {
        root.children = stack
            .iter()
            .map(|l| TreeNode {
                text: tree_line(&l.id, l.size, &l.top_of),
                children: Vec::new(),
            })
            .collect();
        print!("{}", render_tree(&root));
        return Ok(0);
    }
    // The image's top layer, then every layer stacked on it by other images.
    let Some(top) = stack.last() else {
        print!("{}", render_tree(&root));
        return Ok(0);
    };
    let mut descendants: Vec<Vec<libpod::TreeLayer>> = Vec::new();
    for d in rt.image_descendants(&image)? {
        descendants.push(rt.image_layer_stack(&d)?);
    }
    fn grow(
        depth: usize,
        parent_chain: &[String],
        stacks: &[Vec<libpod::TreeLayer>],
    ) -> Vec<TreeNode> {
        let mut seen: Vec<String> = Vec::new();
        let mut out = Vec::new();
        for s in stacks {
            let prefix: Vec<String> = s.iter().take(depth).map(|l| l.id.clone()).collect();
            if prefix != parent_chain || s.len() <= depth || seen.contains(&s[depth].id) {
                continue;
            }
            seen.push(s[depth].id.clone());
            let mut chain = parent_chain.to_vec();
            chain.push(s[depth].id.clone());
            out.push(TreeNode {
                text: tree_line(&s[depth].id, s[depth].size, &s[depth].top_of),
                children: grow(depth + 1, &chain, stacks),
            });
        }
        out
    }
    let chain: Vec<String> = stack.iter().map(|l| l.id.clone()).collect();
    let mut top_node = TreeNode {
        text: tree_line(&top.id, top.size, &top.top_of),
        children: Vec::new(),
    };
    let below = grow(stack.len(), &chain, &descendants);
    // gotree: a lone child continues the line; siblings branch.
    if below.len() <= 1 {
        root.children.push(top_node);
        let mut next = below;
        while let Some(mut n) = next.pop() {
            let kids = std::mem::take(&mut n.children);
            root.children.push(n);
            if kids.len() > 1 {
                if let Some(l) = root.children.last_mut() {
                    l.children = kids;
                }
                break;
            }
            next = kids;
        }
    } else {
        top_node.children = below;
        root.children.push(top_node);
    }
    print!("{}", render_tree(&root));
    Ok(0)
}
